package dev.coderun.gateway.runs;

import dev.coderun.gateway.api.PeriodicPurge;
import jakarta.annotation.PreDestroy;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** Deletes expired idempotency keys every {@link IdempotencyProperties#purgeInterval()}, from the gateway's start. */
@Component
class IdempotencyPurge {

    private final PostgresIdempotencyKeys keys;
    private final IdempotencyProperties properties;
    private volatile PeriodicPurge schedule;

    IdempotencyPurge(PostgresIdempotencyKeys keys, IdempotencyProperties properties) {
        this.keys = keys;
        this.properties = properties;
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        schedule = PeriodicPurge.every(properties.purgeInterval(), "expired idempotency keys",
                keys::purgeExpired);
    }

    @PreDestroy
    void stop() {
        PeriodicPurge running = schedule;
        if (running != null) {
            running.close();
        }
    }
}

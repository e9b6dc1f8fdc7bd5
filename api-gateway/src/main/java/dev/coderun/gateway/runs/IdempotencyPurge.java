package dev.coderun.gateway.runs;

import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Deletes expired idempotency keys every {@link IdempotencyProperties#purgeInterval()}, from the gateway's start. */
@Component
class IdempotencyPurge {

    private static final Logger log = LoggerFactory.getLogger(IdempotencyPurge.class);

    private final PostgresIdempotencyKeys keys;
    private final IdempotencyProperties properties;
    private volatile Disposable schedule;

    IdempotencyPurge(PostgresIdempotencyKeys keys, IdempotencyProperties properties) {
        this.keys = keys;
        this.properties = properties;
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        schedule = Flux.interval(properties.purgeInterval(), properties.purgeInterval())
                .concatMap(tick -> keys.purgeExpired()
                        .doOnNext(purged -> {
                            if (purged > 0) {
                                log.info("purged {} expired idempotency keys", purged);
                            }
                        })
                        .onErrorResume(e -> {
                            log.warn("idempotency key purge failed; next try in {}: {}",
                                    properties.purgeInterval(), e.toString());
                            return Mono.empty();
                        }))
                .subscribe();
    }

    @PreDestroy
    void stop() {
        Disposable running = schedule;
        if (running != null) {
            running.dispose();
        }
    }
}

package dev.coderun.gateway.ratelimit;

import dev.coderun.gateway.api.PeriodicPurge;
import jakarta.annotation.PreDestroy;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Deletes the rows of buckets that have been full for a while, every {@link RateLimitProperties#purgeInterval()}, from
 * the gateway's start (every gateway purges; deleting twice is harmless). A token that comes back gets a full bucket,
 * which is what the deleted row said anyway.
 */
class ExpiredBucketPurge {

    private final PostgresRateLimiter limiter;
    private final RateLimitProperties properties;
    private volatile PeriodicPurge schedule;

    ExpiredBucketPurge(PostgresRateLimiter limiter, RateLimitProperties properties) {
        this.limiter = limiter;
        this.properties = properties;
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        schedule = PeriodicPurge.every(properties.purgeInterval(), "expired rate-limit buckets",
                () -> Mono.fromCallable(limiter::purgeExpired).subscribeOn(Schedulers.boundedElastic()));
    }

    @PreDestroy
    void stop() {
        PeriodicPurge running = schedule;
        if (running != null) {
            running.close();
        }
    }
}

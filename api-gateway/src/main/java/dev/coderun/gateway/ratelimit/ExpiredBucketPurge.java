package dev.coderun.gateway.ratelimit;

import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Deletes the rows of buckets that have been full for a while, every {@link RateLimitProperties#purgeInterval()}, from
 * the gateway's start (every gateway purges; deleting twice is harmless). A token that comes back gets a full bucket,
 * which is what the deleted row said anyway.
 */
class ExpiredBucketPurge {

    private static final Logger log = LoggerFactory.getLogger(ExpiredBucketPurge.class);

    private final PostgresRateLimiter limiter;
    private final RateLimitProperties properties;
    private volatile Disposable schedule;

    ExpiredBucketPurge(PostgresRateLimiter limiter, RateLimitProperties properties) {
        this.limiter = limiter;
        this.properties = properties;
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        schedule = Flux.interval(properties.purgeInterval(), properties.purgeInterval())
                .concatMap(tick -> Mono.fromCallable(limiter::purgeExpired)
                        .subscribeOn(Schedulers.boundedElastic())
                        .doOnNext(purged -> {
                            if (purged > 0) {
                                log.info("purged {} expired rate-limit buckets", purged);
                            }
                        })
                        .onErrorResume(e -> {
                            log.warn("rate-limit bucket purge failed; next try in {}: {}",
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

package dev.coderun.gateway.quota;

import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Deletes old days' write counts every {@link QuotaProperties#purgeInterval()}, from the gateway's start. */
@Component
class DailyWritesPurge {

    private static final Logger log = LoggerFactory.getLogger(DailyWritesPurge.class);

    private final DailyWriteQuota quota;
    private final QuotaProperties properties;
    private volatile Disposable schedule;

    DailyWritesPurge(DailyWriteQuota quota, QuotaProperties properties) {
        this.quota = quota;
        this.properties = properties;
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        schedule = Flux.interval(properties.purgeInterval(), properties.purgeInterval())
                .concatMap(tick -> quota.purgeOldDays()
                        .doOnNext(purged -> {
                            if (purged > 0) {
                                log.info("purged {} daily write counts of past days", purged);
                            }
                        })
                        .onErrorResume(e -> {
                            log.warn("daily write count purge failed; next try in {}: {}",
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

package dev.coderun.gateway.quota;

import dev.coderun.gateway.api.PeriodicPurge;
import jakarta.annotation.PreDestroy;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** Deletes old days' write counts every {@link QuotaProperties#purgeInterval()}, from the gateway's start. */
@Component
class DailyWritesPurge {

    private final DailyWriteQuota quota;
    private final QuotaProperties properties;
    private volatile PeriodicPurge schedule;

    DailyWritesPurge(DailyWriteQuota quota, QuotaProperties properties) {
        this.quota = quota;
        this.properties = properties;
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        schedule = PeriodicPurge.every(properties.purgeInterval(), "daily write counts of past days",
                quota::purgeOldDays);
    }

    @PreDestroy
    void stop() {
        PeriodicPurge running = schedule;
        if (running != null) {
            running.close();
        }
    }
}

package dev.coderun.gateway.capacity;

import dev.coderun.gateway.quota.DailyWriteQuota;
import dev.coderun.gateway.ratelimit.RateBudget;
import dev.coderun.gateway.ratelimit.RouteClass;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code GET .../limits} answers: a handle's runs against the scheduler's per-handle limits, its writes today
 * against the daily write quota, and the calling token's rate-limit buckets.
 *
 * @param activeRuns runs the read model shows STARTING or RUNNING
 * @param queuedRuns runs the read model shows PENDING or QUEUED (a run the scheduler has dispatched but no worker has
 *     claimed yet still reads QUEUED here, while the scheduler already counts it active)
 * @param rateLimits the token's bucket per route class ({@code reads}, {@code writes}, {@code exec},
 *     {@code streams}), after this request took its own; null when rate limiting is off
 */
public record HandleLimits(
        long activeRuns,
        int maxActiveRuns,
        long queuedRuns,
        int maxQueuedRuns,
        DailyWrites dailyWrites,
        Map<String, RateBudget> rateLimits) {

    /**
     * @param used runs accepted and runtime changes and validations made since the last UTC midnight (UTC)
     * @param limit the daily write quota ({@code coderun.quotas.daily-writes})
     * @param resetsAt the next UTC midnight, when {@code used} starts again from 0
     */
    public record DailyWrites(long used, long limit, Instant resetsAt) {}

    /** The counts the read model gives for one handle. */
    record Usage(long activeRuns, long queuedRuns) {}

    static HandleLimits of(
            Usage usage, CapacityProperties capacity, DailyWriteQuota.Usage writes, Map<RouteClass, RateBudget> rates) {
        Map<String, RateBudget> rateLimits = null;
        if (rates != null) {
            rateLimits = new LinkedHashMap<>();
            for (RouteClass routeClass : RouteClass.values()) {
                rateLimits.put(routeClass.key(), rates.get(routeClass));
            }
        }
        return new HandleLimits(
                usage.activeRuns(),
                capacity.maxActiveRunsPerHandle(),
                usage.queuedRuns(),
                capacity.maxQueuedRunsPerHandle(),
                new DailyWrites(writes.used(), writes.limit(), writes.resetsAt()),
                rateLimits);
    }
}

package dev.coderun.gateway.capacity;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * What {@code GET .../limits} answers: a handle's runs against the scheduler's per-handle limits, and its writes
 * today against the daily write quota.
 *
 * @param activeRuns runs the read model shows STARTING or RUNNING
 * @param queuedRuns runs the read model shows PENDING or QUEUED (a run the scheduler has dispatched but no worker has
 *     claimed yet still reads QUEUED here, while the scheduler already counts it active)
 */
public record HandleLimits(
        long activeRuns, int maxActiveRuns, long queuedRuns, int maxQueuedRuns, DailyWrites dailyWrites) {

    /**
     * @param used runs submitted and runtimes created or changed since {@code resets_at} minus one day (UTC)
     * @param limit the daily write quota; null while no quota is enforced
     * @param resetsAt the next UTC midnight, when {@code used} starts again from 0
     */
    public record DailyWrites(long used, Long limit, Instant resetsAt) {}

    /** The counts the read model gives for one handle. */
    record Usage(long activeRuns, long queuedRuns, long runsToday, long runtimeWritesToday) {}

    /** The start of the UTC day {@code now} falls in: daily writes are counted from then. */
    static Instant dayStart(Instant now) {
        return LocalDate.ofInstant(now, ZoneOffset.UTC).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    static HandleLimits of(Usage usage, CapacityProperties capacity, Instant now) {
        return new HandleLimits(
                usage.activeRuns(),
                capacity.maxActiveRunsPerHandle(),
                usage.queuedRuns(),
                capacity.maxQueuedRunsPerHandle(),
                new DailyWrites(
                        usage.runsToday() + usage.runtimeWritesToday(), null, dayStart(now).plusSeconds(86_400)));
    }
}

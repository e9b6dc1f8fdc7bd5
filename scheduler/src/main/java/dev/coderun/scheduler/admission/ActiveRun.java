package dev.coderun.scheduler.admission;

import java.time.Instant;

/**
 * A run holding one of its handle's capacity slots: dispatched as {@code attempt}, and, once a worker claimed it, leased
 * to that worker.
 *
 * @param workerId the worker that published {@code RunStarting} for this attempt; null while the dispatch waits for one
 * @param claimedAt when that worker claimed it, on the worker's clock; null while unclaimed
 * @param confirmedAt the time of the latest heartbeat of that worker that listed the run (worker's clock), or null
 * @param cancelRequested a client asked to cancel it; the worker holding it was told to kill it
 */
public record ActiveRun(
        int attempt, int maxAttempts, String workerId, Instant claimedAt, Instant confirmedAt, boolean cancelRequested) {

    static ActiveRun dispatched(int attempt, int maxAttempts) {
        return new ActiveRun(attempt, maxAttempts, null, null, null, false);
    }

    /** Whether a worker claimed this attempt, and so holds its lease. */
    public boolean claimed() {
        return workerId != null;
    }

    /** The last sign that the worker holds the run: its claim, or a later heartbeat listing it. */
    Instant lastSign() {
        return confirmedAt != null && confirmedAt.isAfter(claimedAt) ? confirmedAt : claimedAt;
    }

    ActiveRun claimedBy(String worker, Instant at) {
        return new ActiveRun(attempt, maxAttempts, worker, at, null, cancelRequested);
    }

    ActiveRun confirmed(Instant at) {
        return new ActiveRun(attempt, maxAttempts, workerId, claimedAt, at, cancelRequested);
    }

    ActiveRun cancelling() {
        return new ActiveRun(attempt, maxAttempts, workerId, claimedAt, confirmedAt, true);
    }
}

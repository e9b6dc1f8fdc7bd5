package dev.coderun.events;

import java.time.Instant;

/**
 * Tells whichever worker holds (or later takes) attempt {@code attempt} of the run to kill its container, or to drop
 * the dispatch unstarted. Published on {@link Topics#CONTROL}, key = run id; every worker reads every directive.
 *
 * @param reason {@link #CANCELLED}: the client cancelled the run, and the worker reports it CANCELLED;
 *     {@link #LEASE_EXPIRED}: the scheduler gave the attempt up as lost, and whatever the worker reports about it is
 *     stale
 */
public record StopRun(String runId, int attempt, String reason, Instant at) implements WorkerDirective {

    public static final String CANCELLED = "cancelled";
    public static final String LEASE_EXPIRED = "lease_expired";
}

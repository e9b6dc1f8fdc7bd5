package dev.coderun.events;

import java.time.Instant;
import java.util.List;

/**
 * A worker's periodic sign of life on the compacted {@link Topics#HEARTBEATS}, keyed by worker id.
 *
 * <p>{@code host}, {@code state}, {@code runs}, {@code drainDeadline} and {@code handedBack} were added to version 1
 * later: a heartbeat of an older worker reads with {@code host} null, {@code state} {@link #ACTIVE}, {@code runs}
 * empty (only {@code activeRunIds} known), no deadline and nothing handed back.
 *
 * @param activeRunIds the runs holding a slot when the heartbeat was taken
 * @param startedAt when this worker process started: a run claimed before it belongs to an earlier process of the
 *     same worker id, which is gone
 * @param at when the heartbeat was taken, on the worker's clock
 * @param host the host name the worker runs on; null when unknown
 * @param state {@link #ACTIVE} (takes dispatches), {@link #DRAINING} (takes none, its runs still finishing) or
 *     {@link #DRAINED} (takes none, holds no run)
 * @param runs the attempts holding a slot, the same runs as {@code activeRunIds} with their attempt
 * @param drainDeadline while draining, when the runs still running are handed back; null otherwise or without one
 * @param handedBack attempts this worker process handed back recently (killed past a drain's deadline or by its fence,
 *     unreported): the scheduler gives such an attempt up at once instead of after its lease timeout
 */
public record WorkerHeartbeat(
        String workerId,
        int slots,
        List<String> activeRunIds,
        Instant startedAt,
        Instant at,
        String host,
        String state,
        List<RunAttempt> runs,
        Instant drainDeadline,
        List<RunAttempt> handedBack) implements Message {

    public static final String ACTIVE = "active";
    public static final String DRAINING = "draining";
    public static final String DRAINED = "drained";

    /** A run attempt holding one of the worker's slots. */
    public record RunAttempt(String runId, int attempt) {}

    public WorkerHeartbeat {
        activeRunIds = activeRunIds == null ? List.of() : List.copyOf(activeRunIds);
        state = state == null ? ACTIVE : state;
        runs = runs == null ? List.of() : List.copyOf(runs);
        handedBack = handedBack == null ? List.of() : List.copyOf(handedBack);
    }

    /** An active worker's heartbeat, as a worker without the fleet fields wrote it. */
    public WorkerHeartbeat(String workerId, int slots, List<String> activeRunIds, Instant startedAt, Instant at) {
        this(workerId, slots, activeRunIds, startedAt, at, null, ACTIVE, List.of(), null, List.of());
    }
}

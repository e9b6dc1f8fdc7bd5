package dev.coderun.events;

import java.time.Instant;
import java.util.List;

/**
 * A worker's periodic sign of life on the compacted {@link Topics#HEARTBEATS}, keyed by worker id.
 *
 * @param activeRunIds the runs holding a slot when the heartbeat was taken
 * @param startedAt when this worker process started: a run claimed before it belongs to an earlier process of the
 *     same worker id, which is gone
 * @param at when the heartbeat was taken, on the worker's clock
 */
public record WorkerHeartbeat(String workerId, int slots, List<String> activeRunIds, Instant startedAt, Instant at) implements Message {

    public WorkerHeartbeat {
        activeRunIds = List.copyOf(activeRunIds);
    }
}

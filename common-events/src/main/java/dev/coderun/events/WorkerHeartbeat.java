package dev.coderun.events;

import java.time.Instant;
import java.util.List;

/** A worker's periodic sign of life on the compacted {@link Topics#HEARTBEATS}, keyed by worker id. */
public record WorkerHeartbeat(String workerId, int slots, List<String> activeRunIds, Instant at) implements Message {

    public WorkerHeartbeat {
        activeRunIds = List.copyOf(activeRunIds);
    }
}

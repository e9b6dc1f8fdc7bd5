package dev.coderun.gateway.fleet;

import dev.coderun.events.WorkerHeartbeat;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest heartbeat of every worker, folded from the compacted heartbeats topic, and the workers as listed from it;
 * no I/O. A heartbeat older (by its {@code at}) than the one held for its worker changes nothing, so reading the topic
 * again from its start, or a late duplicate, leaves the view as it was; a tombstone forgets the worker. Thread-safe.
 */
final class FleetView {

    private final Map<String, WorkerHeartbeat> latest = new ConcurrentHashMap<>();
    private final Duration lostAfter;
    private final Duration forgetAfter;

    FleetView(Duration lostAfter, Duration forgetAfter) {
        this.lostAfter = lostAfter;
        this.forgetAfter = forgetAfter;
    }

    /** Keeps the heartbeat if it is its worker's newest. */
    void fold(WorkerHeartbeat heartbeat) {
        latest.merge(heartbeat.workerId(), heartbeat,
                (held, incoming) -> incoming.at().isBefore(held.at()) ? held : incoming);
    }

    /** A tombstone on the topic: the worker is no longer listed. */
    void forget(String workerId) {
        latest.remove(workerId);
    }

    /** Every worker heard from within {@code forget-after}, by worker id. */
    List<WorkerStatus> workers(Instant now) {
        return latest.values().stream()
                .filter(heartbeat -> remembered(heartbeat, now))
                .sorted(Comparator.comparing(WorkerHeartbeat::workerId))
                .map(heartbeat -> WorkerStatus.of(heartbeat, now, lostAfter))
                .toList();
    }

    /** The worker, if it was heard from within {@code forget-after}. */
    Optional<WorkerStatus> worker(String workerId, Instant now) {
        return Optional.ofNullable(latest.get(workerId))
                .filter(heartbeat -> remembered(heartbeat, now))
                .map(heartbeat -> WorkerStatus.of(heartbeat, now, lostAfter));
    }

    private boolean remembered(WorkerHeartbeat heartbeat, Instant now) {
        return Duration.between(heartbeat.at(), now).compareTo(forgetAfter) <= 0;
    }
}

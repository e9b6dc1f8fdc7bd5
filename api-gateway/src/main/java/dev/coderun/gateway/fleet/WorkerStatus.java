package dev.coderun.gateway.fleet;

import dev.coderun.events.WorkerHeartbeat;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One worker as {@code GET /v2/fleet/workers} lists it, from its latest heartbeat.
 *
 * @param state {@code active}, {@code draining}, {@code drained} as the worker reported it, or {@code lost} when its
 *     latest heartbeat is older than {@code coderun.fleet.lost-after}
 * @param runs the run attempts holding its slots; {@code attempt} is null for a worker that does not report attempts
 * @param lastHeartbeatAt when the latest heartbeat was taken, on the worker's clock
 * @param heartbeatAgeMs how old that heartbeat was when this answer was made
 * @param drainDeadline when a drained or draining worker hands back what still runs; null without one
 */
public record WorkerStatus(
        String workerId,
        String host,
        String state,
        Slots slots,
        List<RunRef> runs,
        Instant startedAt,
        Instant lastHeartbeatAt,
        long heartbeatAgeMs,
        Instant drainDeadline) {

    public static final String LOST = "lost";

    public record Slots(int total, int busy, int free) {}

    public record RunRef(String runId, Integer attempt) {}

    static WorkerStatus of(WorkerHeartbeat heartbeat, Instant now, Duration lostAfter) {
        Duration age = Duration.between(heartbeat.at(), now);
        List<RunRef> runs = heartbeat.runs().isEmpty()
                ? heartbeat.activeRunIds().stream().map(id -> new RunRef(id, null)).toList()
                : heartbeat.runs().stream().map(run -> new RunRef(run.runId(), run.attempt())).toList();
        int busy = runs.size();
        return new WorkerStatus(
                heartbeat.workerId(),
                heartbeat.host(),
                age.compareTo(lostAfter) > 0 ? LOST : heartbeat.state(),
                new Slots(heartbeat.slots(), busy, Math.max(0, heartbeat.slots() - busy)),
                runs,
                heartbeat.startedAt(),
                heartbeat.at(),
                Math.max(0, age.toMillis()),
                heartbeat.drainDeadline());
    }
}

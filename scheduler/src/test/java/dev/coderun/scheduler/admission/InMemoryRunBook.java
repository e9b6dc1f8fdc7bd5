package dev.coderun.scheduler.admission;

import dev.coderun.events.RunSpec;
import dev.coderun.events.WorkerHeartbeat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** A {@link RunBook} for one handle in plain maps, applying decisions as the topology's applier does. */
final class InMemoryRunBook implements RunBook {

    final TreeMap<Long, String> queue = new TreeMap<>();
    final Map<String, RunSpec> specs = new HashMap<>();
    final Set<String> accepted = new HashSet<>();
    final Map<String, WorkerHeartbeat> heartbeats = new HashMap<>();
    HandleState state = HandleState.EMPTY;

    /** Applies the decision and returns it. */
    AdmissionDecision apply(AdmissionDecision decision) {
        if (decision.acceptedRunId() != null) {
            accepted.add(decision.acceptedRunId());
        }
        decision.stored().forEach(spec -> specs.put(spec.runId(), spec));
        decision.enqueued().forEach(q -> queue.put(q.seq(), q.runId()));
        decision.dequeued().forEach(q -> queue.remove(q.seq()));
        decision.ended().forEach(specs::remove);
        state = decision.state();
        return decision;
    }

    @Override
    public List<QueuedRun> oldestQueued(int n) {
        List<QueuedRun> oldest = new ArrayList<>();
        for (Map.Entry<Long, String> entry : queue.entrySet()) {
            if (oldest.size() == n) {
                break;
            }
            oldest.add(new QueuedRun(entry.getValue(), entry.getKey()));
        }
        return oldest;
    }

    @Override
    public Optional<QueuedRun> queued(String runId) {
        return queue.entrySet().stream().filter(e -> e.getValue().equals(runId)).findFirst()
                .map(e -> new QueuedRun(runId, e.getKey()));
    }

    @Override
    public RunSpec spec(String runId) {
        return specs.get(runId);
    }

    @Override
    public boolean accepted(String runId) {
        return accepted.contains(runId);
    }

    @Override
    public Optional<WorkerHeartbeat> heartbeat(String workerId) {
        return Optional.ofNullable(heartbeats.get(workerId));
    }
}

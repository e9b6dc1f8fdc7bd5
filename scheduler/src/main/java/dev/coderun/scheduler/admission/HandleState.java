package dev.coderun.scheduler.admission;

import dev.coderun.events.RunSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the scheduler knows of one handle: the runs holding capacity and the runs waiting for it, oldest first.
 * Immutable; {@link Admission} returns a new one with every decision.
 *
 * @param active run id to the attempt it was dispatched as
 */
public record HandleState(Map<String, Integer> active, List<RunSpec> queue) {

    public static final HandleState EMPTY = new HandleState(Map.of(), List.of());

    public HandleState {
        active = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(active));
        queue = List.copyOf(queue);
    }

    HandleState withActive(String runId, int attempt) {
        Map<String, Integer> next = new LinkedHashMap<>(active);
        next.put(runId, attempt);
        return new HandleState(next, queue);
    }

    HandleState withoutActive(String runId) {
        Map<String, Integer> next = new LinkedHashMap<>(active);
        next.remove(runId);
        return new HandleState(next, queue);
    }

    HandleState enqueued(RunSpec spec) {
        List<RunSpec> next = new ArrayList<>(queue);
        next.add(spec);
        return new HandleState(active, next);
    }

    HandleState dequeued() {
        return new HandleState(active, queue.subList(1, queue.size()));
    }
}

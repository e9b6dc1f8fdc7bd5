package dev.coderun.scheduler.admission;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the scheduler keeps per handle in one small value: the runs holding capacity (at most the handle's active
 * limit) and the size and next sequence number of its queue. The queued runs themselves are separate entries (see
 * {@link RunBook}), so the bytes written per decision do not grow with the queue. Immutable.
 *
 * @param active run id to the run holding the slot, in dispatch order
 * @param queued how many runs wait in the handle's queue
 * @param nextSeq the sequence number the next queued run gets; queue order is sequence order
 */
public record HandleState(Map<String, ActiveRun> active, int queued, long nextSeq) {

    public static final HandleState EMPTY = new HandleState(Map.of(), 0, 0);

    public HandleState {
        active = Collections.unmodifiableMap(new LinkedHashMap<>(active));
    }

    HandleState withActive(String runId, ActiveRun run) {
        Map<String, ActiveRun> next = new LinkedHashMap<>(active);
        next.put(runId, run);
        return new HandleState(next, queued, nextSeq);
    }

    HandleState withoutActive(String runId) {
        Map<String, ActiveRun> next = new LinkedHashMap<>(active);
        next.remove(runId);
        return new HandleState(next, queued, nextSeq);
    }

    HandleState enqueued() {
        return new HandleState(active, queued + 1, nextSeq + 1);
    }

    HandleState dequeued() {
        return new HandleState(active, queued - 1, nextSeq);
    }
}

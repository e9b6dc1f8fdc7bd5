package dev.coderun.scheduler.admission;

import dev.coderun.events.RunEvent;
import dev.coderun.events.RunSpec;
import dev.coderun.events.WorkerDirective;
import java.util.List;

/**
 * What to do about one input. The applier writes all of it, and publishes the events (in order) and the directives,
 * in one Kafka transaction.
 *
 * @param state the handle's next state
 * @param directives {@code DispatchRun}s and {@code StopRun}s for the worker fleet
 * @param stored specs of newly accepted runs, kept until the run ends (written once: a decision never rewrites them)
 * @param ended run ids that ended: their specs are dropped
 * @param enqueued runs to append to the handle's queue
 * @param dequeued runs to remove from the handle's queue (dispatched or cancelled)
 * @param acceptedRunId a run id to remember as accepted, so a redelivered submission changes nothing; null if none
 */
public record AdmissionDecision(
        HandleState state,
        List<RunEvent> events,
        List<WorkerDirective> directives,
        List<RunSpec> stored,
        List<String> ended,
        List<QueuedRun> enqueued,
        List<QueuedRun> dequeued,
        String acceptedRunId) {

    public AdmissionDecision {
        events = List.copyOf(events);
        directives = List.copyOf(directives);
        stored = List.copyOf(stored);
        ended = List.copyOf(ended);
        enqueued = List.copyOf(enqueued);
        dequeued = List.copyOf(dequeued);
    }

    static AdmissionDecision unchanged(HandleState state) {
        return new AdmissionDecision(state, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), null);
    }

    /** Whether applying this decision to {@code before} would write or publish nothing. */
    public boolean changesNothing(HandleState before) {
        return events.isEmpty() && directives.isEmpty() && stored.isEmpty() && ended.isEmpty() && enqueued.isEmpty()
                && dequeued.isEmpty() && acceptedRunId == null && state.equals(before);
    }
}

package dev.coderun.scheduler.admission;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.RunEvent;
import java.util.List;

/**
 * What to do about one input: the handle's next state, the events to publish (in order) and the runs to dispatch.
 * The applier persists {@code state} and publishes both lists in one Kafka transaction.
 *
 * @param acceptedRunId a run id to remember as accepted, so a redelivered submission changes nothing; null if none
 */
public record AdmissionDecision(
        HandleState state, List<RunEvent> events, List<DispatchRun> dispatches, String acceptedRunId) {

    public AdmissionDecision {
        events = List.copyOf(events);
        dispatches = List.copyOf(dispatches);
    }

    static AdmissionDecision unchanged(HandleState state) {
        return new AdmissionDecision(state, List.of(), List.of(), null);
    }

    /** Whether applying this decision to {@code before} would write or publish nothing. */
    public boolean changesNothing(HandleState before) {
        return events.isEmpty() && dispatches.isEmpty() && acceptedRunId == null && state.equals(before);
    }
}

package dev.coderun.scheduler.admission;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunAccepted;
import dev.coderun.events.RunCommand;
import dev.coderun.events.RunError;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStatus;
import dev.coderun.events.SubmitRun;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Admission and dispatch for one handle, decided purely: {@code decide(state, input) -> decision}, no I/O.
 *
 * <p>A submitted run is accepted once, queued, and dispatched as soon as the handle has fewer than
 * {@link AdmissionPolicy#maxActiveRunsPerHandle()} active runs; queued runs go out oldest first. A run's capacity is
 * freed when its worker reports it finished. Events the scheduler itself published come back on the events topic and
 * change nothing.
 */
public final class Admission {

    private final AdmissionPolicy policy;

    public Admission(AdmissionPolicy policy) {
        this.policy = policy;
    }

    /**
     * @param alreadyAccepted whether this run id was accepted before (a redelivered or repeated submission)
     */
    public AdmissionDecision onCommand(HandleState state, RunCommand command, boolean alreadyAccepted, Instant now) {
        return switch (command) {
            case SubmitRun submit -> alreadyAccepted ? AdmissionDecision.unchanged(state) : submit(state, submit, now);
        };
    }

    public AdmissionDecision onEvent(HandleState state, RunEvent event, Instant now) {
        return switch (event) {
            case RunFinished finished when state.active().containsKey(finished.runId()) -> release(state, finished, now);
            case RunFinished ignored -> AdmissionDecision.unchanged(state);
            case RunAccepted ignored -> AdmissionDecision.unchanged(state);
            case RunQueued ignored -> AdmissionDecision.unchanged(state);
            case RunStarting ignored -> AdmissionDecision.unchanged(state);
            case RunStarted ignored -> AdmissionDecision.unchanged(state);
        };
    }

    private AdmissionDecision submit(HandleState state, SubmitRun submit, Instant now) {
        RunSpec spec = submit.spec();
        List<RunEvent> events = new ArrayList<>();
        events.add(new RunAccepted(spec, now));
        if (state.queue().size() >= policy.maxQueuedRunsPerHandle() && !hasCapacity(state)) {
            events.add(new RunFinished(
                    spec.handle(), spec.runId(), RunStatus.REJECTED, 0, null, null, null, "rejected",
                    new RunError(
                            "queue_full",
                            "handle " + spec.handle() + " already has " + state.queue().size() + " queued runs"),
                    OutputSummary.NONE, now));
            return new AdmissionDecision(state, events, List.of(), spec.runId());
        }
        events.add(new RunQueued(spec.handle(), spec.runId(), state.queue().size(), now));
        AdmissionDecision drained = drain(state.enqueued(spec), now);
        events.addAll(drained.events());
        return new AdmissionDecision(drained.state(), events, drained.dispatches(), spec.runId());
    }

    private AdmissionDecision release(HandleState state, RunFinished finished, Instant now) {
        return drain(state.withoutActive(finished.runId()), now);
    }

    /** Dispatches queued runs, oldest first, while the handle has capacity. */
    private AdmissionDecision drain(HandleState state, Instant now) {
        List<DispatchRun> dispatches = new ArrayList<>();
        HandleState next = state;
        while (!next.queue().isEmpty() && hasCapacity(next)) {
            RunSpec head = next.queue().getFirst();
            dispatches.add(new DispatchRun(head, 1, now));
            next = next.dequeued().withActive(head.runId(), 1);
        }
        return new AdmissionDecision(next, List.of(), dispatches, null);
    }

    private boolean hasCapacity(HandleState state) {
        return state.active().size() < policy.maxActiveRunsPerHandle();
    }
}

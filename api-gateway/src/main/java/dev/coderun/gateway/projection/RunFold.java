package dev.coderun.gateway.projection;

import dev.coderun.events.RunAccepted;
import dev.coderun.events.RunError;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStateMachine;
import dev.coderun.events.RunStatus;
import dev.coderun.gateway.runs.RunRecord;

/**
 * Whether an event moves a run's record, decided purely by the one state table: a stale, duplicate or out-of-order
 * event is ignored, so the projection can consume any redelivery safely.
 */
public final class RunFold {

    private RunFold() {}

    /** The attempt an event belongs to; the scheduler's own events belong to the run's current attempt. */
    public static int attemptOf(RunEvent event, int currentAttempt) {
        return switch (event) {
            case RunAccepted ignored -> 0;
            // The attempt the run now waits for: 1 at first, N+1 when the worker holding N was lost. A producer
            // older than the field writes none, which reads as 0: that message queues the current attempt.
            case RunQueued queued -> queued.attempt() == 0 ? currentAttempt : queued.attempt();
            case RunStarting starting -> starting.attempt();
            case RunStarted started -> started.attempt();
            // Attempt 0 is the scheduler finishing a run no worker holds (rejected, cancelled while queued): it ends the
            // current attempt. A worker's finish keeps its own attempt, so a late one from an earlier attempt is stale.
            case RunFinished finished -> finished.attempt() == 0 ? currentAttempt : finished.attempt();
        };
    }

    public static boolean applies(RunStatus current, int currentAttempt, RunEvent event) {
        return RunStateMachine.accepts(current, currentAttempt, event.status(), attemptOf(event, currentAttempt));
    }

    /**
     * The history entry an applied event appends. A run is queued for a later attempt only when the worker holding
     * the previous one was lost, so that entry says {@link RunError#WORKER_LOST}.
     */
    public static RunRecord.Transition transitionOf(RunEvent event, int attempt) {
        return switch (event) {
            case RunAccepted accepted -> RunRecord.Transition.pending(accepted.at());
            case RunQueued queued -> new RunRecord.Transition(
                    queued.status(), queued.at(), attempt > 1 ? RunError.WORKER_LOST : null, null, attempt);
            case RunStarting starting -> new RunRecord.Transition(
                    starting.status(), starting.at(), null, starting.workerId(), attempt);
            case RunStarted started -> new RunRecord.Transition(
                    started.status(), started.at(), null, started.workerId(), attempt);
            case RunFinished finished -> new RunRecord.Transition(
                    finished.status(), finished.at(),
                    finished.error() != null ? finished.error().code() : finished.terminationReason(),
                    finished.workerId(), attempt);
        };
    }
}

package dev.coderun.gateway.projection;

import dev.coderun.events.RunAccepted;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStateMachine;
import dev.coderun.events.RunStatus;

/**
 * Whether an event moves a run's record, decided purely by the one state table: a stale, duplicate or out-of-order
 * event is ignored, so the projection can consume any redelivery safely.
 */
final class RunFold {

    private RunFold() {}

    /** The attempt an event belongs to; the scheduler's own events belong to the run's current attempt. */
    static int attemptOf(RunEvent event, int currentAttempt) {
        return switch (event) {
            case RunAccepted ignored -> 0;
            case RunQueued ignored -> currentAttempt;
            case RunStarting starting -> starting.attempt();
            case RunStarted started -> started.attempt();
            // Attempt 0 is the scheduler finishing a run no worker holds (rejected, cancelled while queued): it ends the
            // current attempt. A worker's finish keeps its own attempt, so a late one from an earlier attempt is stale.
            case RunFinished finished -> finished.attempt() == 0 ? currentAttempt : finished.attempt();
        };
    }

    static boolean applies(RunStatus current, int currentAttempt, RunEvent event) {
        return RunStateMachine.accepts(current, currentAttempt, event.status(), attemptOf(event, currentAttempt));
    }
}

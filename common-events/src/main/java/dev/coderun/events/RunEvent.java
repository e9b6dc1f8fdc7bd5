package dev.coderun.events;

import java.time.Instant;

/**
 * Facts on {@link Topics#EVENTS}, keyed by handle so that a handle's events stay ordered and co-partitioned with its
 * commands. Each event moves a run to {@link #status()}; consumers fold them with {@link RunStateMachine} and ignore a
 * stale or duplicate one.
 */
public sealed interface RunEvent extends Message permits RunAccepted, RunQueued, RunStarting, RunStarted, RunFinished {

    String handle();

    String runId();

    RunStatus status();

    Instant at();
}

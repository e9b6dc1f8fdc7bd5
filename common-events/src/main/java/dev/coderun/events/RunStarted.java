package dev.coderun.events;

import java.time.Instant;

/** The run's process is running in its container. */
public record RunStarted(String handle, String runId, int attempt, String workerId, Instant at) implements RunEvent {

    @Override
    public RunStatus status() {
        return RunStatus.RUNNING;
    }
}

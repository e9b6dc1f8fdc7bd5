package dev.coderun.events;

import java.time.Instant;

/** A worker claimed the run and is preparing its container. */
public record RunStarting(String handle, String runId, int attempt, String workerId, Instant at) implements RunEvent {

    @Override
    public RunStatus status() {
        return RunStatus.STARTING;
    }
}

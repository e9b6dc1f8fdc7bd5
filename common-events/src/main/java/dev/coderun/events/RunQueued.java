package dev.coderun.events;

import java.time.Instant;

/** The run waits for capacity; {@code position} is its place in the handle's queue when it was queued (0 = next). */
public record RunQueued(String handle, String runId, int position, Instant at) implements RunEvent {

    @Override
    public RunStatus status() {
        return RunStatus.QUEUED;
    }
}

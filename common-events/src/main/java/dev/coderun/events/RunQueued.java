package dev.coderun.events;

import java.time.Instant;

/**
 * The run waits for capacity, for its attempt {@code attempt} (1 for the first; a run whose worker was lost is queued
 * again for the next attempt). {@code position} is its place in the handle's queue when it was queued (0 = next).
 */
public record RunQueued(String handle, String runId, int attempt, int position, Instant at) implements RunEvent {

    @Override
    public RunStatus status() {
        return RunStatus.QUEUED;
    }
}

package dev.coderun.events;

import java.time.Instant;

/**
 * The run reached a terminal status; nothing about it changes afterwards.
 *
 * @param workerId null when the scheduler finished the run without a worker (rejected, cancelled while queued)
 * @param exitCode null when no process exited (errored before start, rejected, cancelled while queued)
 * @param durationMs the process's wall time, null when it never ran
 * @param terminationReason {@code exited}, {@code timeout}, {@code oom_killed}, {@code cancelled}, {@code rejected},
 *     {@code error}
 * @param error null unless the platform could not run it
 * @param output what the worker captured; {@link OutputSummary#NONE} when nothing ran
 */
public record RunFinished(
        String handle,
        String runId,
        RunStatus status,
        int attempt,
        String workerId,
        Integer exitCode,
        Long durationMs,
        String terminationReason,
        RunError error,
        OutputSummary output,
        Instant at)
        implements RunEvent {

    public RunFinished {
        if (!status.isTerminal()) {
            throw new IllegalArgumentException("RunFinished needs a terminal status, got " + status);
        }
    }
}

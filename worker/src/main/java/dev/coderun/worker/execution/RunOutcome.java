package dev.coderun.worker.execution;

import dev.coderun.events.RunError;
import dev.coderun.events.RunStatus;
import dev.coderun.worker.sandbox.ContainerExit;

/**
 * How a run ended, in the terms of {@code RunFinished}. The one place where a container's end becomes a run status.
 *
 * @param exitCode null when no process exited
 * @param durationMs null when no process ran
 * @param error null unless the platform could not run it
 */
record RunOutcome(RunStatus status, Integer exitCode, Long durationMs, String terminationReason, RunError error) {

    static final String EXITED = "exited";
    static final String TIMEOUT = "timeout";
    static final String OOM_KILLED = "oom_killed";
    static final String CANCELLED = "cancelled";
    static final String ERROR = "error";

    static final String IMAGE_UNAVAILABLE = "image_unavailable";
    /** The run's sealed secrets do not open on this worker (a key missing from its ring, say). */
    static final String SECRETS_UNAVAILABLE = "secrets_unavailable";
    static final String WORKER_SHUTDOWN = "worker_shutdown";
    static final String INTERNAL = RunError.INTERNAL;

    /** Timed out wins over an OOM kill (the kill was ours); an OOM kill is a failure whatever the exit code. */
    static RunOutcome of(ContainerExit exit) {
        if (exit.timedOut()) {
            return new RunOutcome(RunStatus.TIMED_OUT, exit.exitCode(), exit.durationMs(), TIMEOUT, null);
        }
        if (exit.oomKilled()) {
            return new RunOutcome(RunStatus.FAILED, exit.exitCode(), exit.durationMs(), OOM_KILLED, null);
        }
        RunStatus status = exit.exitCode() != null && exit.exitCode() == 0 ? RunStatus.SUCCEEDED : RunStatus.FAILED;
        return new RunOutcome(status, exit.exitCode(), exit.durationMs(), EXITED, null);
    }

    /**
     * The attempt was stopped before its process ended by itself (killed, or never started), for a cause the worker
     * reports ({@link StopCause#reported()}).
     *
     * @param durationMs how long the process ran until the stop; null when it never started
     */
    static RunOutcome stopped(StopCause cause, Long durationMs) {
        return switch (cause) {
            case CANCELLED -> new RunOutcome(RunStatus.CANCELLED, null, durationMs, CANCELLED, null);
            case LEASE_EXPIRED, FENCED, HANDED_BACK, NOT_TAKEN ->
                    throw new IllegalArgumentException(cause + " attempts are not reported");
            case SHUTDOWN -> errored(WORKER_SHUTDOWN, "the worker shut down while the run ran", durationMs);
        };
    }

    /** The platform could not run it; {@code code} is the error code clients see. */
    static RunOutcome errored(String code, String message) {
        return errored(code, message, null);
    }

    private static RunOutcome errored(String code, String message, Long durationMs) {
        return new RunOutcome(RunStatus.ERRORED, null, durationMs, ERROR, new RunError(code, message));
    }
}

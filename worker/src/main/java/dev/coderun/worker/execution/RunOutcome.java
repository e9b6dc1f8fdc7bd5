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
    static final String ERROR = "error";

    static final String IMAGE_UNAVAILABLE = "image_unavailable";
    static final String WORKER_SHUTDOWN = "worker_shutdown";
    static final String INTERNAL = "internal";

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

    /** The platform could not run it; {@code code} is the error code clients see. */
    static RunOutcome errored(String code, String message) {
        return new RunOutcome(RunStatus.ERRORED, null, null, ERROR, new RunError(code, message));
    }
}

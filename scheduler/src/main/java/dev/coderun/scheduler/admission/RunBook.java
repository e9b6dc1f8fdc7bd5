package dev.coderun.scheduler.admission;

import dev.coderun.events.RunSpec;
import dev.coderun.events.WorkerHeartbeat;
import java.util.List;
import java.util.Optional;

/**
 * What admission may read besides the handle's {@link HandleState}: the handle's queue, the specs of its live runs,
 * which run ids were accepted, and the worker fleet's latest heartbeats. Read-only; the applier writes what the
 * {@link AdmissionDecision} says.
 */
public interface RunBook {

    /** Up to {@code n} of the handle's queued runs, oldest first. */
    List<QueuedRun> oldestQueued(int n);

    /** The queue entry of a run that waits in the handle's queue, or empty. */
    Optional<QueuedRun> queued(String runId);

    /** The spec of a run that was accepted and has not ended. */
    RunSpec spec(String runId);

    /** Whether this run id was accepted before (a repeated or redelivered submission). */
    boolean accepted(String runId);

    /** The latest heartbeat of a worker, or empty if it never sent one. */
    Optional<WorkerHeartbeat> heartbeat(String workerId);
}

package dev.coderun.scheduler.admission;

import dev.coderun.events.CancelRun;
import dev.coderun.events.DispatchRun;
import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunAccepted;
import dev.coderun.events.RunCommand;
import dev.coderun.events.RunError;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStatus;
import dev.coderun.events.StopRun;
import dev.coderun.events.SubmitRun;
import dev.coderun.events.WorkerDirective;
import dev.coderun.events.WorkerHeartbeat;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Admission, dispatch, cancellation and lost-worker recovery for one handle, decided purely:
 * {@code decide(state, input, book) -> decision}, no I/O.
 *
 * <p>A submitted run is accepted once, queued, and dispatched as soon as the handle has fewer than
 * {@link AdmissionPolicy#maxActiveRunsPerHandle()} active runs; queued runs go out oldest first. A run holds its slot
 * from dispatch until its current attempt finishes. The worker that claims an attempt ({@code RunStarting}) holds a
 * lease on it, kept alive by its heartbeats: when the worker restarts or goes silent for the lease timeout the attempt
 * is lost, and the run is dispatched again as the next attempt while {@code max_attempts} allows, else it ends ERRORED
 * {@code worker_lost}. Events of an attempt that is no longer the current one change nothing, so an attempt given up
 * can never override the next one. Events the scheduler itself published come back on the events topic and change
 * nothing.
 */
public final class Admission {

    /** The attempt a scheduler's own {@code RunFinished} carries: it ends whatever attempt is current. */
    static final int SCHEDULER_ATTEMPT = 0;

    private final AdmissionPolicy policy;

    public Admission(AdmissionPolicy policy) {
        this.policy = policy;
    }

    public AdmissionDecision onCommand(HandleState state, RunCommand command, RunBook book, Instant now) {
        return switch (command) {
            case SubmitRun submit -> book.accepted(submit.runId())
                    ? AdmissionDecision.unchanged(state) : submit(state, submit.spec(), book, now);
            case CancelRun cancel -> cancel(state, cancel, book, now);
        };
    }

    public AdmissionDecision onEvent(HandleState state, RunEvent event, RunBook book, Instant now) {
        ActiveRun active = state.active().get(event.runId());
        return switch (event) {
            case RunStarting starting when current(active, starting.attempt()) ->
                    claim(state, starting.runId(), active, starting.workerId(), starting.at());
            case RunStarted started when current(active, started.attempt()) && !active.claimed() ->
                    claim(state, started.runId(), active, started.workerId(), started.at());
            case RunFinished finished when current(active, finished.attempt()) -> {
                Draft draft = new Draft(state);
                draft.release(finished.runId());
                yield drain(draft, book, now).decision();
            }
            // The scheduler's own events coming back, and reports of attempts that are not (or no longer) current.
            default -> AdmissionDecision.unchanged(state);
        };
    }

    /**
     * Keeps the leases of claimed runs: a heartbeat that lists a run renews its lease; an attempt whose worker restarted
     * since it claimed it, or that no heartbeat listed for longer than the lease timeout, is lost. Called periodically;
     * a handle without claimed runs is unchanged.
     */
    public AdmissionDecision onClock(HandleState state, RunBook book, Instant now) {
        Draft draft = new Draft(state);
        for (Map.Entry<String, ActiveRun> entry : state.active().entrySet()) {
            String runId = entry.getKey();
            ActiveRun run = entry.getValue();
            if (!run.claimed()) {
                continue;
            }
            Optional<WorkerHeartbeat> heartbeat = book.heartbeat(run.workerId());
            if (heartbeat.isPresent() && heartbeat.get().activeRunIds().contains(runId)
                    && heartbeat.get().at().isAfter(run.lastSign())) {
                run = run.confirmed(heartbeat.get().at());
                draft.state = draft.state.withActive(runId, run);
            }
            if (lost(run, heartbeat, now) || handedBack(runId, run, heartbeat)) {
                loseAttempt(draft, runId, run, book, now);
            }
        }
        return draft.changed() ? drain(draft, book, now).decision() : AdmissionDecision.unchanged(state);
    }

    /**
     * Lost when the worker's latest heartbeat comes from a process that started after the claim (the claiming process
     * is gone), or when the last sign that the worker holds the run is older than the lease timeout: the worker went
     * silent, or it beats but no longer lists the run (it dropped the attempt without a durable report).
     */
    boolean lost(ActiveRun run, Optional<WorkerHeartbeat> heartbeat, Instant now) {
        boolean restarted = heartbeat.map(WorkerHeartbeat::startedAt)
                .filter(startedAt -> startedAt.isAfter(run.claimedAt()))
                .isPresent();
        return restarted || run.lastSign().plus(policy.leaseTimeout()).isBefore(now);
    }

    /**
     * Whether the claiming worker's latest heartbeat lists the attempt as handed back: a drained worker killed it past
     * the drain's deadline and reports nothing of it, so it is given up at once rather than after the lease timeout.
     */
    private static boolean handedBack(String runId, ActiveRun run, Optional<WorkerHeartbeat> heartbeat) {
        return heartbeat.map(beat -> beat.handedBack().contains(new WorkerHeartbeat.RunAttempt(runId, run.attempt())))
                .orElse(false);
    }

    private AdmissionDecision submit(HandleState state, RunSpec spec, RunBook book, Instant now) {
        Draft draft = new Draft(state);
        draft.acceptedRunId = spec.runId();
        // Events never carry secrets, not even sealed: the read model needs their names only.
        draft.events.add(new RunAccepted(spec.withoutSealedSecrets(), now));
        drain(draft, book, now);
        if (draft.state.queued() == 0 && hasCapacity(draft.state)) {
            draft.stored.add(spec);
            draft.events.add(new RunQueued(spec.handle(), spec.runId(), 1, 0, now));
            dispatch(draft, spec, 1, now);
        } else if (draft.state.queued() < policy.maxQueuedRunsPerHandle()) {
            draft.stored.add(spec);
            draft.events.add(new RunQueued(spec.handle(), spec.runId(), 1, draft.state.queued(), now));
            draft.enqueued.add(new QueuedRun(spec.runId(), draft.state.nextSeq()));
            draft.state = draft.state.enqueued();
        } else {
            draft.events.add(finished(spec.handle(), spec.runId(), RunStatus.REJECTED, SCHEDULER_ATTEMPT, null,
                    "rejected", new RunError("queue_full", "handle " + spec.handle() + " already has "
                            + draft.state.queued() + " queued runs"), now));
        }
        return draft.decision();
    }

    private AdmissionDecision cancel(HandleState state, CancelRun cancel, RunBook book, Instant now) {
        String runId = cancel.runId();
        ActiveRun active = state.active().get(runId);
        Draft draft = new Draft(state);
        if (active != null && !active.claimed()) {
            // Dispatched, but no worker claimed it yet: it ends now, and whichever worker takes the dispatch drops it.
            draft.directives.add(new StopRun(runId, active.attempt(), StopRun.CANCELLED, now));
            draft.events.add(cancelled(cancel.handle(), runId, SCHEDULER_ATTEMPT, null, now));
            draft.release(runId);
            return drain(draft, book, now).decision();
        }
        if (active != null) {
            // The worker holding it kills it and reports CANCELLED; the slot is freed by that report.
            draft.directives.add(new StopRun(runId, active.attempt(), StopRun.CANCELLED, now));
            draft.state = draft.state.withActive(runId, active.cancelling());
            return draft.decision();
        }
        Optional<QueuedRun> queued = book.queued(runId);
        if (queued.isEmpty()) {
            return AdmissionDecision.unchanged(state);
        }
        draft.dequeued.add(queued.get());
        draft.state = draft.state.dequeued();
        draft.ended.add(runId);
        draft.events.add(cancelled(cancel.handle(), runId, SCHEDULER_ATTEMPT, null, now));
        return draft.decision();
    }

    private AdmissionDecision claim(HandleState state, String runId, ActiveRun active, String workerId, Instant at) {
        if (workerId.equals(active.workerId()) && at.equals(active.claimedAt())) {
            return AdmissionDecision.unchanged(state);
        }
        Draft draft = new Draft(state);
        draft.state = draft.state.withActive(runId, active.claimedBy(workerId, at));
        return draft.decision();
    }

    private void loseAttempt(Draft draft, String runId, ActiveRun run, RunBook book, Instant now) {
        RunSpec spec = book.spec(runId);
        // Should the worker still be alive (cut off, not dead), it kills the attempt; its reports about it are stale.
        draft.directives.add(new StopRun(runId, run.attempt(), StopRun.LEASE_EXPIRED, now));
        if (run.cancelRequested()) {
            draft.events.add(cancelled(spec.handle(), runId, run.attempt(), run.workerId(), now));
            draft.release(runId);
        } else if (run.attempt() < run.maxAttempts()) {
            int next = run.attempt() + 1;
            draft.events.add(new RunQueued(spec.handle(), runId, next, 0, now));
            dispatch(draft, spec, next, now);
        } else {
            draft.events.add(finished(spec.handle(), runId, RunStatus.ERRORED, run.attempt(), run.workerId(), "error",
                    new RunError(RunError.WORKER_LOST, "worker " + run.workerId() + " was lost while it held attempt "
                            + run.attempt() + " of " + run.maxAttempts()), now));
            draft.release(runId);
        }
    }

    /** Dispatches queued runs, oldest first, while the handle has capacity. */
    private Draft drain(Draft draft, RunBook book, Instant now) {
        int free = policy.maxActiveRunsPerHandle() - draft.state.active().size();
        if (free <= 0 || draft.state.queued() == 0) {
            return draft;
        }
        for (QueuedRun head : book.oldestQueued(Math.min(free, draft.state.queued()))) {
            draft.dequeued.add(head);
            draft.state = draft.state.dequeued();
            dispatch(draft, book.spec(head.runId()), 1, now);
        }
        return draft;
    }

    private void dispatch(Draft draft, RunSpec spec, int attempt, Instant now) {
        draft.directives.add(new DispatchRun(spec, attempt, now));
        draft.state = draft.state.withActive(spec.runId(), ActiveRun.dispatched(attempt, spec.maxAttempts()));
    }

    private boolean hasCapacity(HandleState state) {
        return state.active().size() < policy.maxActiveRunsPerHandle();
    }

    private static boolean current(ActiveRun active, int attempt) {
        return active != null && active.attempt() == attempt;
    }

    private static RunFinished cancelled(String handle, String runId, int attempt, String workerId, Instant now) {
        return finished(handle, runId, RunStatus.CANCELLED, attempt, workerId, StopRun.CANCELLED, null, now);
    }

    private static RunFinished finished(String handle, String runId, RunStatus status, int attempt, String workerId,
            String reason, RunError error, Instant now) {
        return new RunFinished(handle, runId, status, attempt, workerId, null, null, reason, error, OutputSummary.NONE,
                now);
    }

    /** The decision being built; one per input. */
    private static final class Draft {
        private final HandleState before;
        private HandleState state;
        private final List<RunEvent> events = new ArrayList<>();
        private final List<WorkerDirective> directives = new ArrayList<>();
        private final List<RunSpec> stored = new ArrayList<>();
        private final List<String> ended = new ArrayList<>();
        private final List<QueuedRun> enqueued = new ArrayList<>();
        private final List<QueuedRun> dequeued = new ArrayList<>();
        private String acceptedRunId;

        Draft(HandleState state) {
            this.before = state;
            this.state = state;
        }

        void release(String runId) {
            state = state.withoutActive(runId);
            ended.add(runId);
        }

        boolean changed() {
            return !state.equals(before) || !events.isEmpty() || !directives.isEmpty();
        }

        AdmissionDecision decision() {
            return new AdmissionDecision(state, events, directives, stored, ended, enqueued, dequeued, acceptedRunId);
        }
    }
}

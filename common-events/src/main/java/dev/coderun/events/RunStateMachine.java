package dev.coderun.events;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The one table of legal status moves. Everything that folds run events (the scheduler's accounting, the gateway's
 * projection) asks it, so a stale, duplicate or out-of-order event is ignored the same way everywhere.
 */
public final class RunStateMachine {

    private static final Set<RunStatus> TERMINAL = EnumSet.of(
            RunStatus.SUCCEEDED,
            RunStatus.FAILED,
            RunStatus.TIMED_OUT,
            RunStatus.CANCELLED,
            RunStatus.ERRORED,
            RunStatus.REJECTED);

    private static final Map<RunStatus, Set<RunStatus>> ALLOWED = new EnumMap<>(RunStatus.class);

    static {
        ALLOWED.put(RunStatus.PENDING, union(EnumSet.of(RunStatus.QUEUED), TERMINAL));
        // Any non-terminal status may finish directly: cancelled while queued, errored while starting.
        ALLOWED.put(RunStatus.QUEUED, union(EnumSet.of(RunStatus.STARTING), TERMINAL));
        // A lost worker's run is re-attempted: STARTING/RUNNING may go back to QUEUED for the next attempt.
        ALLOWED.put(RunStatus.STARTING, union(EnumSet.of(RunStatus.RUNNING, RunStatus.QUEUED), TERMINAL));
        ALLOWED.put(RunStatus.RUNNING, union(EnumSet.of(RunStatus.QUEUED), TERMINAL));
        for (RunStatus terminal : TERMINAL) {
            ALLOWED.put(terminal, EnumSet.noneOf(RunStatus.class));
        }
    }

    private RunStateMachine() {}

    /**
     * Whether a run in {@code from} may move to {@code to}. A move back to QUEUED is only legal for a later attempt,
     * which {@link #accepts(RunStatus, int, RunStatus, int)} checks.
     */
    public static boolean canMove(RunStatus from, RunStatus to) {
        return ALLOWED.get(from).contains(to);
    }

    /**
     * Whether an event taking the run to {@code to} in attempt {@code toAttempt} applies to a run currently in
     * {@code from} at attempt {@code fromAttempt}. Events of an older attempt never apply; within one attempt only
     * forward moves do.
     */
    public static boolean accepts(RunStatus from, int fromAttempt, RunStatus to, int toAttempt) {
        if (from.isTerminal() || toAttempt < fromAttempt) {
            return false;
        }
        if (to == RunStatus.QUEUED && from.isActive()) {
            return toAttempt > fromAttempt;
        }
        return canMove(from, to);
    }

    private static Set<RunStatus> union(Set<RunStatus> a, Set<RunStatus> b) {
        EnumSet<RunStatus> all = EnumSet.copyOf(a);
        all.addAll(b);
        return all;
    }
}

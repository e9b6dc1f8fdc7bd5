package dev.coderun.worker.fleet;

import dev.coderun.events.WorkerHeartbeat;
import java.time.Instant;

/**
 * This worker's drain state, and its legal moves; pure. {@code ACTIVE} takes dispatches; a drain makes it
 * {@code DRAINING} (no new dispatch, the runs it holds go on) and, once it holds no run, {@code DRAINED}. Past the
 * drain's deadline the runs still held are handed back ({@link #handBackDue}); handing back frees their slots, which
 * makes the worker {@code DRAINED}. An undrain makes it {@code ACTIVE} from either. A second drain replaces the
 * deadline of the first (the operator's latest word counts); a drain of a drained worker changes nothing.
 *
 * @param deadline once drained or draining, when the runs still held are handed back; null: they run to their end
 */
public record Drain(Mode mode, Instant deadline) {

    public enum Mode {
        ACTIVE(WorkerHeartbeat.ACTIVE),
        DRAINING(WorkerHeartbeat.DRAINING),
        DRAINED(WorkerHeartbeat.DRAINED);

        private final String wire;

        Mode(String wire) {
            this.wire = wire;
        }

        /** The state as a heartbeat carries it. */
        public String wire() {
            return wire;
        }
    }

    public Drain {
        if (mode == Mode.ACTIVE) {
            deadline = null;
        }
    }

    public static Drain active() {
        return new Drain(Mode.ACTIVE, null);
    }

    /** A drain directive arrived while {@code runsHeld} attempts hold a slot. */
    public Drain onDrain(Instant newDeadline, int runsHeld) {
        return switch (mode) {
            case DRAINED -> this;
            case ACTIVE, DRAINING -> new Drain(runsHeld == 0 ? Mode.DRAINED : Mode.DRAINING, newDeadline);
        };
    }

    /** An undrain directive arrived. */
    public Drain onUndrain() {
        return active();
    }

    /**
     * The periodic check: a draining worker holding no run is drained; a drained one holding a run (taken while the
     * drain arrived) is draining again, under the same deadline.
     */
    public Drain onTick(int runsHeld) {
        return switch (mode) {
            case DRAINING -> runsHeld == 0 ? new Drain(Mode.DRAINED, deadline) : this;
            case DRAINED -> runsHeld > 0 ? new Drain(Mode.DRAINING, deadline) : this;
            case ACTIVE -> this;
        };
    }

    /** Whether the runs still held are to be handed back now. */
    public boolean handBackDue(Instant now) {
        return mode == Mode.DRAINING && deadline != null && !now.isBefore(deadline);
    }

    /** Whether the worker takes dispatches. */
    public boolean takesWork() {
        return mode == Mode.ACTIVE;
    }
}

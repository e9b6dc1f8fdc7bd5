package dev.coderun.events;

/** A run's lifecycle. Declaration order is progress order: a run only ever moves to a later status. */
public enum RunStatus {
    PENDING(false),
    QUEUED(false),
    STARTING(false),
    RUNNING(false),
    SUCCEEDED(true),
    FAILED(true),
    TIMED_OUT(true),
    CANCELLED(true),
    ERRORED(true),
    REJECTED(true);

    private final boolean terminal;

    RunStatus(boolean terminal) {
        this.terminal = terminal;
    }

    public boolean isTerminal() {
        return terminal;
    }

    /** Whether a run in this status holds (or is about to hold) worker capacity. */
    public boolean isActive() {
        return this == STARTING || this == RUNNING;
    }
}

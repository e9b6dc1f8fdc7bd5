package dev.coderun.worker.execution;

/** Why a run attempt was stopped before its process ended by itself; decides whether and how the worker reports it. */
public enum StopCause {
    /** The client cancelled the run: it ends CANCELLED, with the output it wrote until the kill. */
    CANCELLED(true),
    /**
     * The scheduler gave the attempt up as lost and runs it again (or ends the run): killed and not reported, since
     * the scheduler settled the attempt already.
     */
    LEASE_EXPIRED(false),
    /**
     * No heartbeat of this worker reached Kafka for {@code fence-after}: the attempt must not keep running here while
     * the scheduler starts another one elsewhere. Killed and not reported, and listed as handed back in the
     * heartbeats: the scheduler gives the attempt up at the first of them that gets through (or, should none, once no
     * heartbeat has listed it for the lease timeout), and runs it again while its {@code max_attempts} allow.
     */
    FENCED(false),
    /**
     * The worker was drained and the drain's deadline passed with the attempt still running: handed back to the
     * scheduler. Killed and not reported, as {@link #FENCED}; the heartbeats list it as handed back, and the scheduler
     * gives it up and runs it again while its {@code max_attempts} allow (else it ends ERRORED {@code worker_lost}).
     */
    HANDED_BACK(false),
    /**
     * The dispatch was not taken here after all: its claim ({@code RunStarting}) could not be published, or the broker
     * refused this worker's acceptance of it (its acquisition lock had lapsed, say). The broker delivers it again, here
     * or elsewhere, and the attempt, whose container was being readied meanwhile, never starts here. Not reported.
     */
    NOT_TAKEN(false),
    /**
     * The run's thread was interrupted without a stop: the worker is going down in a way it did not plan (a shutdown
     * it planned hands its runs back, {@link #HANDED_BACK}). Reported ERRORED {@code worker_shutdown}.
     */
    SHUTDOWN(true);

    private final boolean reported;

    StopCause(boolean reported) {
        this.reported = reported;
    }

    /** Whether the worker reports the stopped attempt's end; otherwise the scheduler settles it. */
    public boolean reported() {
        return reported;
    }
}

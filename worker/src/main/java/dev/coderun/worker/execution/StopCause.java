package dev.coderun.worker.execution;

/** Why a run attempt was stopped before its process ended by itself; decides how the run reports its end. */
public enum StopCause {
    /** The client cancelled the run: it ends CANCELLED, with the output it wrote until the kill. */
    CANCELLED,
    /** The scheduler gave the attempt up as lost and runs it again (or ends the run): the attempt's report is stale. */
    LEASE_EXPIRED,
    /**
     * No heartbeat of this worker reached Kafka for {@code fence-after}: the scheduler is about to give the attempt up
     * as lost, and it must not keep running here while another attempt starts elsewhere.
     */
    FENCED,
    /** The worker shuts down and the shutdown grace has passed. */
    SHUTDOWN
}

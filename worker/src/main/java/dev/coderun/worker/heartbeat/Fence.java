package dev.coderun.worker.heartbeat;

import java.time.Duration;

/**
 * Decides when this worker must take itself for lost: when no heartbeat was acknowledged by Kafka for
 * {@code fence-after}. The scheduler gives a silent worker's run attempts up after its lease timeout and runs them
 * again elsewhere; fencing first keeps a run from running twice at once. Times are {@link System#nanoTime()} values
 * passed in. Thread-safe.
 */
final class Fence {

    private final long fenceAfterNanos;
    private long lastAckNanos;

    /** @param startNanos when the worker started: it is not fenced before it had the chance to send a heartbeat */
    Fence(Duration fenceAfter, long startNanos) {
        this.fenceAfterNanos = fenceAfter.toNanos();
        this.lastAckNanos = startNanos;
    }

    /** Kafka acknowledged a heartbeat at {@code nanos}; acknowledgements may arrive out of order. */
    synchronized void acknowledged(long nanos) {
        if (nanos - lastAckNanos > 0) {
            lastAckNanos = nanos;
        }
    }

    /** Whether the worker is fenced at {@code nowNanos}: no heartbeat acknowledged for {@code fence-after}. */
    synchronized boolean isUp(long nowNanos) {
        return nowNanos - lastAckNanos >= fenceAfterNanos;
    }

    /** How long no heartbeat was acknowledged, at {@code nowNanos}. */
    synchronized Duration silence(long nowNanos) {
        return Duration.ofNanos(Math.max(0, nowNanos - lastAckNanos));
    }
}

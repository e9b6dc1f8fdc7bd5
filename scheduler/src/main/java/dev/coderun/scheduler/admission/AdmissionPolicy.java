package dev.coderun.scheduler.admission;

import java.time.Duration;

/**
 * The limits admission decides by.
 *
 * @param maxActiveRunsPerHandle runs of one handle dispatched and not yet finished
 * @param maxQueuedRunsPerHandle runs of one handle waiting for capacity; one more is rejected
 * @param leaseTimeout how long the worker holding a run may stay silent (no heartbeat) before its attempt is lost
 */
public record AdmissionPolicy(int maxActiveRunsPerHandle, int maxQueuedRunsPerHandle, Duration leaseTimeout) {

    public AdmissionPolicy {
        if (maxActiveRunsPerHandle < 1 || maxQueuedRunsPerHandle < 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
        if (leaseTimeout.isNegative() || leaseTimeout.isZero()) {
            throw new IllegalArgumentException("the lease timeout must be positive");
        }
    }
}

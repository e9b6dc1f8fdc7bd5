package dev.coderun.scheduler.admission;

/**
 * The limits admission decides by.
 *
 * @param maxActiveRunsPerHandle runs of one handle dispatched and not yet finished
 * @param maxQueuedRunsPerHandle runs of one handle waiting for capacity; one more is rejected
 */
public record AdmissionPolicy(int maxActiveRunsPerHandle, int maxQueuedRunsPerHandle) {

    public AdmissionPolicy {
        if (maxActiveRunsPerHandle < 1 || maxQueuedRunsPerHandle < 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }
}

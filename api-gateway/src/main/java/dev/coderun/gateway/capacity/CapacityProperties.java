package dev.coderun.gateway.capacity;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The per-handle limits {@code GET .../limits} reports ({@code coderun.capacity.*}). The scheduler enforces them, not
 * the gateway: these values must match the scheduler's {@code coderun.scheduler.max-active-runs-per-handle} and
 * {@code max-queued-runs-per-handle}, and the defaults are the scheduler's defaults. A deployment that changes the
 * scheduler's limits passes the same values here.
 *
 * @param maxActiveRunsPerHandle runs of one handle the scheduler lets run at once
 * @param maxQueuedRunsPerHandle runs of one handle the scheduler lets wait; one more is REJECTED {@code queue_full}
 */
@ConfigurationProperties("coderun.capacity")
public record CapacityProperties(
        @DefaultValue("8") int maxActiveRunsPerHandle, @DefaultValue("10000") int maxQueuedRunsPerHandle) {

    public CapacityProperties {
        if (maxActiveRunsPerHandle < 1 || maxQueuedRunsPerHandle < 0) {
            throw new IllegalArgumentException("coderun.capacity: max-active-runs-per-handle must be at least 1 and"
                    + " max-queued-runs-per-handle at least 0");
        }
    }
}

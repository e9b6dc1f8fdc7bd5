package dev.coderun.gateway.fleet;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Fleet operations ({@code coderun.fleet.*}).
 *
 * @param operatorHandle the handle a token must hold (with scope {@code admin}) to list and drain workers. Workers are
 *     shared by every tenant and list every tenant's run ids, so a tenant's {@code admin} alone does not reach them;
 *     give this handle to no tenant. Default {@code ops}
 * @param lostAfter a worker whose latest heartbeat is older is listed {@code lost}. Default 15s, the scheduler's lease
 *     timeout: by then the scheduler gives the worker's run attempts up
 * @param forgetAfter a worker whose latest heartbeat is older is no longer listed (a stopped worker's id stays on the
 *     compacted heartbeats topic). Default 10m
 * @param maxDrainDeadline the longest {@code deadline_seconds} a drain may give. Default 24h
 */
@ConfigurationProperties("coderun.fleet")
public record FleetProperties(
        @DefaultValue("ops") String operatorHandle,
        @DefaultValue("15s") Duration lostAfter,
        @DefaultValue("10m") Duration forgetAfter,
        @DefaultValue("24h") Duration maxDrainDeadline) {

    public FleetProperties {
        if (operatorHandle == null || operatorHandle.isBlank()) {
            throw new IllegalArgumentException("coderun.fleet.operator-handle must not be blank");
        }
        if (!lostAfter.isPositive() || forgetAfter.compareTo(lostAfter) < 0 || maxDrainDeadline.isNegative()) {
            throw new IllegalArgumentException("coderun.fleet: lost-after must be positive, forget-after at least "
                    + "lost-after, max-drain-deadline not negative");
        }
    }
}

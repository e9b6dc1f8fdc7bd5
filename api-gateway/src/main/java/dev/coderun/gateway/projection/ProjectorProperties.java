package dev.coderun.gateway.projection;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the projector retries ({@code coderun.projector.*}). While the read model is unavailable a record is retried
 * without limit, waiting {@code unavailableBackoffInitial} doubling up to {@code unavailableBackoffMax} between tries;
 * any other failure is retried {@code retries} times, {@code retryInterval} apart, and the record then goes to the
 * dead-letter topic.
 *
 * @param writeTimeout how long one write may take before it counts as the read model being unavailable
 */
@ConfigurationProperties("coderun.projector")
public record ProjectorProperties(
        @DefaultValue("200ms") Duration unavailableBackoffInitial,
        @DefaultValue("5s") Duration unavailableBackoffMax,
        @DefaultValue("3") int retries,
        @DefaultValue("500ms") Duration retryInterval,
        @DefaultValue("10s") Duration writeTimeout) {

    public ProjectorProperties {
        if (unavailableBackoffInitial.isNegative() || unavailableBackoffInitial.isZero()
                || unavailableBackoffMax.compareTo(unavailableBackoffInitial) < 0) {
            throw new IllegalArgumentException("coderun.projector.unavailable-backoff-initial must be positive and at"
                    + " most unavailable-backoff-max");
        }
        if (retries < 0 || retryInterval.isNegative() || writeTimeout.isNegative() || writeTimeout.isZero()) {
            throw new IllegalArgumentException("coderun.projector.retries and retry-interval must not be negative,"
                    + " write-timeout must be positive");
        }
    }
}

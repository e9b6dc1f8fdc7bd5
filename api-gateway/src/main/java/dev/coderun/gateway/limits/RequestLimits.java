package dev.coderun.gateway.limits;

import dev.coderun.events.Topics;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Size and range limits on requests ({@code coderun.limits.*}); over them a request gets 413 or 422 naming the field.
 *
 * @param maxTimeoutSeconds the platform's longest run; no runtime may allow more
 * @param defaultMaxOutputBytes bytes retained per stream when a run does not say
 * @param maxMaxOutputBytes the most a run may ask to retain per stream
 * @param maxAttempts the most attempts a run may ask for (re-attempts only happen when a worker is lost)
 * @param maxRunRequestBytes the largest request body (413 over it); at most {@link Topics#MAX_RUN_REQUEST_BYTES},
 *     the size every Kafka bound is derived from, so an accepted request always fits in a message
 */
@ConfigurationProperties("coderun.limits")
public record RequestLimits(
        @DefaultValue("3600") int maxTimeoutSeconds,
        @DefaultValue("1048576") long defaultMaxOutputBytes,
        @DefaultValue("16777216") long maxMaxOutputBytes,
        @DefaultValue("1048576") int maxStdinBytes,
        @DefaultValue("128") int maxEnvEntries,
        @DefaultValue("32768") int maxEnvValueBytes,
        @DefaultValue("1024") int maxArgs,
        @DefaultValue("64") int maxLabels,
        @DefaultValue("65536") int maxCommandBytes,
        @DefaultValue("5") int maxAttempts,
        @DefaultValue("2097152") int maxRunRequestBytes) {

    public RequestLimits {
        if (maxRunRequestBytes <= 0 || maxRunRequestBytes > Topics.MAX_RUN_REQUEST_BYTES) {
            throw new IllegalArgumentException("coderun.limits.max-run-request-bytes is " + maxRunRequestBytes
                    + "; it must be between 1 and " + Topics.MAX_RUN_REQUEST_BYTES
                    + " (Topics.MAX_RUN_REQUEST_BYTES: every Kafka size bound is derived from it, so a larger request"
                    + " might not fit in a message)");
        }
    }
}

package dev.coderun.gateway.limits;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Size and range limits on requests ({@code coderun.limits.*}); over them a request gets 413 or 422 naming the field.
 *
 * @param maxTimeoutSeconds the platform's longest run; no runtime may allow more
 * @param defaultMaxOutputBytes bytes retained per stream when a run does not say
 * @param maxMaxOutputBytes the most a run may ask to retain per stream
 * @param maxAttempts the most attempts a run may ask for (re-attempts only happen when a worker is lost)
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
        @DefaultValue("5") int maxAttempts) {}

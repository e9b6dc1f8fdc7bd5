package dev.coderun.gateway.quota;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The per-handle daily write quota ({@code coderun.quotas.*}).
 *
 * @param dailyWrites writes one handle may make per UTC day: each accepted run counts one (a batch of N accepted runs
 *     counts N, an idempotent replay nothing), and each runtime {@code PUT} and {@code validate-image} counts one.
 *     Past it, writes are 429 {@code quota_exceeded} until the next UTC midnight. The default, one million, is about
 *     700 runs a minute around the clock: SPEC's high-volume batch users fit, a runaway loop is stopped
 * @param purgeInterval how often the counts of days before yesterday are deleted
 */
@ConfigurationProperties("coderun.quotas")
public record QuotaProperties(
        @DefaultValue("1000000") long dailyWrites, @DefaultValue("1h") Duration purgeInterval) {

    public QuotaProperties {
        if (dailyWrites < 0) {
            throw new IllegalArgumentException("coderun.quotas.daily-writes must be at least 0");
        }
    }
}

package dev.coderun.gateway.limits;

import dev.coderun.events.Topics;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
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
 *     the size every Kafka bound is derived from, so an accepted request always fits in a message. A batch item is
 *     held to it too, measured as the item's canonical JSON
 * @param maxBatchItems the most runs one {@code POST .../code-runs/batch} may carry (422 over it)
 * @param maxBatchRequestBytes the largest batch body (413 over it); only the batch route reads a body this large
 * @param maxIdempotencyKeyChars the longest {@code Idempotency-Key} (printable ASCII)
 * @param maxEnvTotalBytes all names and values of a run's or runtime's {@code env} together
 * @param maxCwdChars the longest {@code cwd}
 * @param maxLabelValueChars the longest label value
 * @param maxImageUriChars the longest runtime {@code image.uri}
 * @param maxDisplayNameChars the longest runtime {@code display_name}
 * @param maxDescriptionChars the longest runtime {@code description}
 * @param maxCpuCores the most CPU cores a runtime may ask for
 * @param minMemoryMb the least memory a runtime may ask for
 * @param maxMemoryMb the most memory a runtime may ask for
 * @param maxPidsLimit the highest pids limit a runtime may ask for
 * @param maxPageSize the most items one list page may ask for ({@code limit})
 * @param maxSecretEntries the most entries of a runtime's {@code secrets} or a run's {@code secret_env}. Secret
 *     entries also follow every env limit: a value is at most {@code maxEnvValueBytes}, and {@code env} and the
 *     secrets of one runtime or run together hold at most {@code maxEnvEntries} entries and {@code maxEnvTotalBytes}
 *     (so a run's spec, runtime and sealed secrets included, stays within the Kafka bounds of
 *     {@link Topics#MAX_MESSAGE_BYTES})
 * @param maxReportSummaryChars the longest support report {@code summary}
 * @param maxReportDetailsChars the longest support report {@code details}
 * @param maxReportReferenceChars the longest support report {@code handle} or {@code session_id}
 * @param maxReportArtifactChars the longest support report {@code repro_artifact} (a link, a run id, a short repro)
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
        @DefaultValue("2097152") int maxRunRequestBytes,
        @DefaultValue("1000") int maxBatchItems,
        @DefaultValue("33554432") int maxBatchRequestBytes,
        @DefaultValue("255") int maxIdempotencyKeyChars,
        @DefaultValue("262144") int maxEnvTotalBytes,
        @DefaultValue("4096") int maxCwdChars,
        @DefaultValue("255") int maxLabelValueChars,
        @DefaultValue("512") int maxImageUriChars,
        @DefaultValue("255") int maxDisplayNameChars,
        @DefaultValue("4096") int maxDescriptionChars,
        @DefaultValue("64") double maxCpuCores,
        @DefaultValue("16") int minMemoryMb,
        @DefaultValue("65536") int maxMemoryMb,
        @DefaultValue("32768") int maxPidsLimit,
        @DefaultValue("500") int maxPageSize,
        @DefaultValue("64") int maxSecretEntries,
        @DefaultValue("200") int maxReportSummaryChars,
        @DefaultValue("16384") int maxReportDetailsChars,
        @DefaultValue("255") int maxReportReferenceChars,
        @DefaultValue("8192") int maxReportArtifactChars) {

    public RequestLimits {
        if (maxBatchItems < 1 || maxBatchRequestBytes < maxRunRequestBytes) {
            throw new IllegalArgumentException("coderun.limits.max-batch-items must be at least 1 and"
                    + " coderun.limits.max-batch-request-bytes at least max-run-request-bytes");
        }
        if (maxRunRequestBytes <= 0 || maxRunRequestBytes > Topics.MAX_RUN_REQUEST_BYTES) {
            throw new IllegalArgumentException("coderun.limits.max-run-request-bytes is " + maxRunRequestBytes
                    + "; it must be between 1 and " + Topics.MAX_RUN_REQUEST_BYTES
                    + " (Topics.MAX_RUN_REQUEST_BYTES: every Kafka size bound is derived from it, so a larger request"
                    + " might not fit in a message)");
        }
    }

    /** Every limit at its documented default, as {@code coderun.limits.*} binds it when nothing is set. */
    public static RequestLimits defaults() {
        return of(Map.of());
    }

    /** The defaults with some settings changed, named as in configuration ({@code max-run-request-bytes}). */
    public static RequestLimits of(Map<String, String> settings) {
        Map<String, String> prefixed = new HashMap<>();
        settings.forEach((name, value) -> prefixed.put("coderun.limits." + name, value));
        try {
            return new Binder(new MapConfigurationPropertySource(prefixed))
                    .bindOrCreate("coderun.limits", RequestLimits.class);
        } catch (BindException e) {
            // The constructor's own refusal, not the binder's wrapping of it.
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof IllegalArgumentException refused) {
                    throw refused;
                }
            }
            throw e;
        }
    }
}

package dev.coderun.gateway.projection;

import dev.coderun.gateway.api.DatabaseUnavailable;
import java.util.Locale;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.util.backoff.BackOff;
import org.springframework.util.backoff.ExponentialBackOff;
import org.springframework.util.backoff.FixedBackOff;

/**
 * Why the projector could not apply a record, which decides how it is retried. The projection is idempotent, so
 * applying a record again is always safe; what differs is whether waiting can help.
 */
enum ProjectionFailure {

    /**
     * PostgreSQL cannot be reached or did not answer ({@link DatabaseUnavailable}): wait for it, without limit,
     * holding the partition.
     */
    READ_MODEL_UNAVAILABLE,
    /** Not a message this build reads: no retry, straight to the dead-letter topic. */
    UNREADABLE,
    /** Anything else, e.g. a record the read model refuses: a few retries, then the dead-letter topic. */
    OTHER;

    private static final double DOUBLING = 2.0;
    private static final int MAX_REASON_LENGTH = 500;

    static ProjectionFailure of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof UnreadableRecordException) {
                return UNREADABLE;
            }
        }
        return DatabaseUnavailable.anywhereIn(failure) ? READ_MODEL_UNAVAILABLE : OTHER;
    }

    BackOff backOff(ProjectorProperties properties) {
        return switch (this) {
            case READ_MODEL_UNAVAILABLE -> {
                ExponentialBackOff waitForIt = new ExponentialBackOff(
                        properties.unavailableBackoffInitial().toMillis(), DOUBLING);
                waitForIt.setMaxInterval(properties.unavailableBackoffMax().toMillis());
                waitForIt.setMaxElapsedTime(Long.MAX_VALUE);
                waitForIt.setMaxAttempts(Long.MAX_VALUE);
                yield waitForIt;
            }
            case UNREADABLE -> new FixedBackOff(0, 0);
            case OTHER -> new FixedBackOff(properties.retryInterval().toMillis(), properties.retries());
        };
    }

    /** A short, single-line account of the failure for logs and the dead-letter header; never the record itself. */
    static String reason(Throwable failure) {
        Throwable cause = failure;
        // The listener's wrappers (the container's, and the batch listener's pointer to the record at fault) say
        // nothing a reader needs.
        while ((cause instanceof ListenerExecutionFailedException || cause instanceof BatchListenerFailedException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        String reason = of(cause).name().toLowerCase(Locale.ROOT) + ": " + cause;
        reason = reason.replaceAll("\\s+", " ");
        return reason.length() <= MAX_REASON_LENGTH ? reason : reason.substring(0, MAX_REASON_LENGTH) + "...";
    }
}

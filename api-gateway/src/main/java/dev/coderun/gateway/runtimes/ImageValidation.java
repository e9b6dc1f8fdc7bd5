package dev.coderun.gateway.runtimes;

import java.time.Instant;

/**
 * The outcome of checking a runtime's image against its registry.
 *
 * @param reason {@code digest_mismatch}, {@code image_not_found}, {@code registry_unreachable}; null unless FAILED
 */
public record ImageValidation(
        Status status, String reason, String expectedDigest, String actualDigest, Instant checkedAt) {

    public enum Status {
        UNVALIDATED,
        VALIDATING,
        VALID,
        FAILED
    }

    public static final ImageValidation UNVALIDATED = new ImageValidation(Status.UNVALIDATED, null, null, null, null);
}

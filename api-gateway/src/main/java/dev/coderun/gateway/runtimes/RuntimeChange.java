package dev.coderun.gateway.runtimes;

import dev.coderun.gateway.api.ApiException;
import java.time.Instant;
import java.util.UUID;

/**
 * What a PUT does to a runtime, decided purely: create it, update it (version + 1; a new image resets validation),
 * or change nothing when the definition is identical. {@code If-Match} must name the current version.
 */
public final class RuntimeChange {

    public enum Kind {
        CREATED,
        UPDATED,
        UNCHANGED
    }

    public record Outcome(Kind kind, RuntimeRecord record) {}

    private RuntimeChange() {}

    /**
     * @param current the stored runtime, or null
     * @param wantedSealed the secrets of {@code wanted} sealed, stored when the runtime is created or updated
     * @param ifMatch the request's If-Match header, or null
     * @throws ApiException precondition_failed when If-Match does not name the current version
     */
    public static Outcome decide(
            String handle,
            String key,
            RuntimeRecord current,
            RuntimeDefinition wanted,
            String wantedSealed,
            String ifMatch,
            Instant now) {
        // RFC 9110 §13.1.1: If-Match, "*" included, is false when there is no current runtime.
        if (ifMatch != null && (current == null || !ifMatch.equals("*") && !ifMatch.equals(current.etag()))) {
            throw ApiException.preconditionFailed(current == null
                    ? "runtime '" + key + "' does not exist"
                    : "runtime '" + key + "' is at " + current.etag() + ", not " + ifMatch);
        }
        if (current == null) {
            return new Outcome(Kind.CREATED, new RuntimeRecord(
                    handle, key, UUID.randomUUID(), wanted, 1, ImageValidation.UNVALIDATED, now, now, wantedSealed));
        }
        if (current.definition().equals(wanted)) {
            return new Outcome(Kind.UNCHANGED, current);
        }
        ImageValidation validation = wanted.sameImageAs(current.definition())
                ? current.validation() : ImageValidation.UNVALIDATED;
        return new Outcome(Kind.UPDATED, new RuntimeRecord(
                handle, key, current.id(), wanted, current.version() + 1, validation, current.createdAt(), now,
                wantedSealed));
    }
}

package dev.coderun.gateway.runs;

import dev.coderun.gateway.api.FieldViolation;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The pure half of idempotency: which keys are acceptable, and the fingerprint that says whether two submissions with
 * one key are the same request. Pure: no I/O.
 */
final class IdempotencyKeys {

    /** The header a single submit carries its key in. */
    static final String HEADER = "Idempotency-Key";
    /** The header a replayed answer carries. */
    static final String REPLAYED_HEADER = "Idempotent-Replayed";

    /**
     * The canonical form of a request: the parsed request written again with its fields in declaration order and map
     * entries sorted by key, so whitespace, field order and absent-versus-null in the client's JSON don't matter.
     */
    private static final JsonMapper CANONICAL = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .build();

    private IdempotencyKeys() {}

    /** A key is 1 to {@code maxChars} printable ASCII characters (0x20-0x7E); anything else names the field. */
    static Optional<FieldViolation> check(String field, String key, int maxChars) {
        if (key == null || key.isEmpty() || key.length() > maxChars) {
            return Optional.of(FieldViolation.invalid(field, "must be 1 to " + maxChars + " printable ASCII characters"));
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                return Optional.of(FieldViolation.invalid(field, "must be printable ASCII (0x20-0x7E) only"));
            }
        }
        return Optional.empty();
    }

    /** The request's canonical JSON. */
    static byte[] canonical(SubmitRunRequest request) {
        return CANONICAL.writeValueAsBytes(request);
    }

    /** SHA-256 of {@link #canonical(SubmitRunRequest)}: equal for the same request, whatever its JSON looked like. */
    static byte[] fingerprint(SubmitRunRequest request) {
        return sha256(canonical(request));
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}

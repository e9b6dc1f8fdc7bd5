package dev.coderun.gateway.runs;

import dev.coderun.events.SecretKeyRing;
import dev.coderun.gateway.api.FieldViolation;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
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

    /** What {@code secret_env} values are fingerprinted for: nothing but an idempotency comparison. */
    static final String SECRET_ENV_CONTEXT = "idempotency secret_env";

    /**
     * What tells two submissions apart: the SHA-256 of the request's {@link #canonical} form, equal for the same
     * request whatever its JSON looked like. A request with {@code secret_env} is hashed without its values, and with
     * their keyed fingerprint ({@link SecretKeyRing#fingerprint}) instead, so the stored hash cannot be used to guess a
     * value; it is computed under every key of the ring, so a repeat still matches after a key rotation.
     *
     * @param current under the current key: the one stored with a claim
     * @param underOtherKeys under the ring's other keys: what a claim stored before a rotation may hold
     */
    record Fingerprint(byte[] current, List<byte[]> underOtherKeys) {

        boolean matches(byte[] stored) {
            return MessageDigest.isEqual(current, stored)
                    || underOtherKeys.stream().anyMatch(other -> MessageDigest.isEqual(other, stored));
        }
    }

    /** The fingerprint of {@code request}, whose {@link #canonical} form is {@code canonical}. */
    static Fingerprint fingerprint(SubmitRunRequest request, byte[] canonical, SecretKeyRing keyRing) {
        if (request.secretEnv() == null || request.secretEnv().isEmpty()) {
            return new Fingerprint(sha256(canonical), List.of());
        }
        SubmitRunRequest r = request;
        byte[] rest = canonical(new SubmitRunRequest(r.runtimeKey(), r.name(), r.command(), r.args(), r.env(),
                r.stdin(), r.cwd(), r.timeoutSeconds(), r.maxOutputBytes(), r.maxAttempts(), r.labels(), null));
        List<byte[]> all = keyRing.fingerprintsUnderEveryKey(request.secretEnv(), SECRET_ENV_CONTEXT).stream()
                .map(secrets -> sha256(rest, secrets.getBytes(StandardCharsets.UTF_8)))
                .toList();
        return new Fingerprint(all.getFirst(), all.subList(1, all.size()));
    }

    static Fingerprint fingerprint(SubmitRunRequest request, SecretKeyRing keyRing) {
        return fingerprint(request, canonical(request), keyRing);
    }

    static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (int i = 0; i < parts.length; i++) {
                if (i > 0) {
                    digest.update((byte) 0);
                }
                digest.update(parts[i]);
            }
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}

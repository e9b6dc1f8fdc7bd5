package dev.coderun.gateway.runs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.gateway.GatewayFixtures;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.events.SecretKeyRing;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

class IdempotencyKeysTest {

    private static final SecretKeyRing RING = SecretKeyRing.of("k1:" + SecretKeyRing.newKey(), null);

    static final JsonMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private static SubmitRunRequest read(String json) {
        return JSON.readValue(json, SubmitRunRequest.class);
    }

    @Test
    void theSameRequestWrittenDifferentlyHasOneFingerprint() {
        SubmitRunRequest a = read("""
                {"runtime_key":"busybox","command":"echo hi","env":{"A":"1","B":"2"},"labels":{"x":"1","y":"2"}}""");
        SubmitRunRequest b = read("""
                {
                  "labels": {"y": "2", "x": "1"},
                  "env": {"B": "2", "A": "1"},
                  "command": "echo hi",
                  "runtime_key": "busybox",
                  "name": null
                }""");

        assertThat(fingerprint(a)).isEqualTo(fingerprint(b)).hasSize(32);
    }

    @Test
    void anyChangedValueChangesTheFingerprint() {
        byte[] base = fingerprint(read("{\"runtime_key\":\"busybox\",\"command\":\"echo hi\"}"));

        assertThat(fingerprint(read("{\"runtime_key\":\"busybox\",\"command\":\"echo ho\"}"))).isNotEqualTo(base);
        assertThat(fingerprint(read("{\"runtime_key\":\"busybox\",\"command\":\"echo hi\",\"args\":[]}")))
                .as("empty args is not absent args: the command runs in exec form, not through sh -c")
                .isNotEqualTo(base);
        assertThat(fingerprint(read("{\"runtime_key\":\"busybox\",\"command\":\"echo hi\",\"env\":{\"A\":\"1\"}}")))
                .isNotEqualTo(base);
    }

    @Test
    void secretEnvValuesCountButOnlyThroughTheirKeyedFingerprint() {
        SubmitRunRequest withSecret = read("""
                {"runtime_key":"busybox","command":"echo hi","secret_env":{"TOKEN":"s3cr3t-value"}}""");
        SubmitRunRequest otherSecret = read("""
                {"runtime_key":"busybox","command":"echo hi","secret_env":{"TOKEN":"other-value"}}""");
        SubmitRunRequest rest = read("{\"runtime_key\":\"busybox\",\"command\":\"echo hi\"}");

        assertThat(fingerprint(withSecret)).isEqualTo(fingerprint(read("""
                {"secret_env":{"TOKEN":"s3cr3t-value"},"command":"echo hi","runtime_key":"busybox"}""")));
        assertThat(fingerprint(withSecret)).isNotEqualTo(fingerprint(otherSecret)).isNotEqualTo(fingerprint(rest));
        assertThat(fingerprint(withSecret))
                .as("not the plain hash of the request: that would let a guessed value be checked offline")
                .isNotEqualTo(IdempotencyKeys.sha256(IdempotencyKeys.canonical(withSecret)));
        assertThat(withSecret.toString()).contains("TOKEN").doesNotContain("s3cr3t-value");
    }

    @Test
    void aRepeatAfterAKeyRotationStillMatchesTheFingerprintStoredBeforeIt() {
        String oldKey = SecretKeyRing.newKey();
        SecretKeyRing before = SecretKeyRing.of("k1:" + oldKey, null);
        SecretKeyRing after = SecretKeyRing.of("k1:" + oldKey + ",k2:" + SecretKeyRing.newKey(), "k2");
        SubmitRunRequest request = read("""
                {"runtime_key":"busybox","command":"echo hi","secret_env":{"TOKEN":"s3cr3t-value"}}""");
        byte[] stored = IdempotencyKeys.fingerprint(request, before).current();

        IdempotencyKeys.Fingerprint repeat = IdempotencyKeys.fingerprint(request, after);

        assertThat(repeat.current()).isNotEqualTo(stored);
        assertThat(repeat.matches(stored)).isTrue();
        assertThat(IdempotencyKeys.fingerprint(read("""
                {"runtime_key":"busybox","command":"echo hi","secret_env":{"TOKEN":"changed"}}"""), after)
                .matches(stored)).isFalse();
    }

    private static byte[] fingerprint(SubmitRunRequest request) {
        return IdempotencyKeys.fingerprint(request, RING).current();
    }

    @Test
    void mapOrderInsertedByTheClientDoesNotReachTheCanonicalForm() {
        Map<String, String> zFirst = new LinkedHashMap<>();
        zFirst.put("Z", "1");
        zFirst.put("A", "2");
        SubmitRunRequest request = new SubmitRunRequest(
                "busybox", null, "env", List.of(), zFirst, null, null, null, null, null, Map.of(), null);

        assertThat(new String(IdempotencyKeys.canonical(request))).contains("\"env\":{\"A\":\"2\",\"Z\":\"1\"}");
    }

    @Test
    void aKeyIsOneTo255PrintableAsciiCharacters() {
        int max = GatewayFixtures.defaultLimits().maxIdempotencyKeyChars();

        assertThat(IdempotencyKeys.check("k", "a", max)).isEmpty();
        assertThat(IdempotencyKeys.check("k", "order-42 retry:1 ~!", max)).isEmpty();
        assertThat(IdempotencyKeys.check("k", "x".repeat(255), max)).isEmpty();
        assertThat(IdempotencyKeys.check("k", "", max)).map(FieldViolation::field).contains("k");
        assertThat(IdempotencyKeys.check("k", "x".repeat(256), max)).isPresent();
        assertThat(IdempotencyKeys.check("k", "tab\there", max)).isPresent();
        assertThat(IdempotencyKeys.check("k", "nul\0", max)).isPresent();
        assertThat(IdempotencyKeys.check("k", "caf\u00e9", max)).isPresent();
        assertThat(IdempotencyKeys.check("k", "del\u007f", max)).map(FieldViolation::type).contains("invalid");
    }
}

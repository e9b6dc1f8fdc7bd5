package dev.coderun.gateway.runs;

import static dev.coderun.gateway.GatewayFixtures.NOW;
import static dev.coderun.gateway.GatewayFixtures.aRunRequest;
import static dev.coderun.gateway.GatewayFixtures.aRuntimeSnapshot;
import static dev.coderun.gateway.GatewayFixtures.defaultLimits;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.RunSpec;
import dev.coderun.events.SecretKeyRing;
import dev.coderun.gateway.GatewayFixtures.RunRequestBuilder;
import dev.coderun.gateway.api.FieldViolation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class RunRequestValidatorTest {

    private static final String RUN_ID = "019a1b2c-3d4e-7f00-8a00-000000000001";
    private static final int MIB = 1024 * 1024;
    private static final SecretKeyRing RING = SecretKeyRing.of("k1:" + SecretKeyRing.newKey(), null);

    private final RunRequestValidator validator = new RunRequestValidator(defaultLimits());

    @Test
    void aMinimalSubmissionHasNoProblems() {
        assertThat(validator.checkShape(aRunRequest().build())).isEmpty();
    }

    @Test
    void runtimeKeyAndCommandAreRequired() {
        List<FieldViolation> violations = validator.checkShape(aRunRequest().runtimeKey(null).command(" ").build());

        assertThat(violations)
                .containsExactlyInAnyOrder(FieldViolation.required("runtime_key"), FieldViolation.required("command"));
    }

    // Seed 003's rule, which SPEC §3 keeps for an optional name: 8-255 characters of ^[a-zA-Z0-9_\-\.]+$.
    @ParameterizedTest(name = "name \"{0}\" is accepted")
    @ValueSource(strings = {"nightly-1", "build.2026_11", "ABCDEFGH", "12345678", "........", "--------", "________"})
    void namesOfEightOrMoreSafeCharactersAreAccepted(String name) {
        assertThat(validator.checkShape(aRunRequest().name(name).build())).isEmpty();
    }

    @Test
    void aRunWithoutANameIsAccepted() {
        assertThat(validator.checkShape(aRunRequest().name(null).build())).isEmpty();
    }

    @Test
    void nameLengthBoundsAreEightAndTwoHundredFiftyFive() {
        assertThat(validator.checkShape(aRunRequest().name("a".repeat(255)).build())).isEmpty();
        assertThat(fields(validator.checkShape(aRunRequest().name("a".repeat(256)).build()))).containsExactly("name");
        assertThat(fields(validator.checkShape(aRunRequest().name("a".repeat(7)).build()))).containsExactly("name");
    }

    @ParameterizedTest(name = "name \"{0}\" is refused")
    @ValueSource(strings = {"", "short", "has space here", "slash/in/name", "ünïcödé-name", "semi;colon;",
        "nightly-build\n", "nightly\u0000build", "tab\there-x", "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",
        "\uFF21\uFF22\uFF23\uFF24\uFF25\uFF26\uFF27\uFF28", "name+plus", "name:colon", "ab\u00A0cdefgh"})
    void namesWithUnsafeCharactersOrTooShortAreRefused(String name) {
        assertThat(validator.checkShape(aRunRequest().name(name).build()))
                .singleElement()
                .satisfies(v -> {
                    assertThat(v.field()).isEqualTo("name");
                    assertThat(v.type()).isEqualTo("invalid");
                });
    }

    @ParameterizedTest(name = "cwd {0} is accepted")
    @ValueSource(strings = {"/", "/work", "/home/user/src", "/a.b/..c/d..", "/with space"})
    void absoluteNormalizedWorkingDirectoriesAreAccepted(String cwd) {
        assertThat(validator.checkShape(aRunRequest().cwd(cwd).build())).isEmpty();
    }

    @ParameterizedTest(name = "cwd \"{0}\" is refused")
    @ValueSource(strings = {"", "work", "./work", "/work/", "/work/../etc", "/..", "/work/./src", "//work",
        "/work//src", "/work/.."})
    void relativeUnnormalizedOrEscapingWorkingDirectoriesAreRefused(String cwd) {
        assertThat(validator.checkShape(aRunRequest().cwd(cwd).build()))
                .containsExactly(FieldViolation.invalid("cwd", "must be an absolute, normalized path without '..'"));
    }

    static Stream<Arguments> outOfRange() {
        return Stream.of(
                Arguments.of("max_output_bytes -1", change(b -> b.maxOutputBytes(-1L)), "max_output_bytes"),
                Arguments.of("max_output_bytes 16 MiB + 1",
                        change(b -> b.maxOutputBytes(16L * MIB + 1)), "max_output_bytes"),
                Arguments.of("max_attempts 0", change(b -> b.maxAttempts(0)), "max_attempts"),
                Arguments.of("max_attempts 6", change(b -> b.maxAttempts(6)), "max_attempts"),
                Arguments.of("timeout_seconds 0", change(b -> b.timeoutSeconds(0)), "timeout_seconds"),
                Arguments.of("timeout_seconds -5", change(b -> b.timeoutSeconds(-5)), "timeout_seconds"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outOfRange")
    void numbersOutsideTheirRangeAreRefused(String name, UnaryOperator<RunRequestBuilder> change, String field) {
        assertThat(validator.checkShape(change.apply(aRunRequest()).build()))
                .singleElement()
                .satisfies(v -> {
                    assertThat(v.field()).isEqualTo(field);
                    assertThat(v.type()).isEqualTo("out_of_range");
                });
    }

    static Stream<Arguments> inRange() {
        return Stream.of(
                Arguments.of("max_output_bytes 0", change(b -> b.maxOutputBytes(0L))),
                Arguments.of("max_output_bytes 16 MiB", change(b -> b.maxOutputBytes(16L * MIB))),
                Arguments.of("max_attempts 1", change(b -> b.maxAttempts(1))),
                Arguments.of("max_attempts 5", change(b -> b.maxAttempts(5))),
                Arguments.of("timeout_seconds 1", change(b -> b.timeoutSeconds(1))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inRange")
    void numbersAtTheirBoundsAreAccepted(String name, UnaryOperator<RunRequestBuilder> change) {
        assertThat(validator.checkShape(change.apply(aRunRequest()).build())).isEmpty();
    }

    @Test
    void stdinIsLimitedInUtf8BytesNotCharacters() {
        String atLimit = "x".repeat(MIB);
        String twoByteChars = "é".repeat(MIB / 2 + 1);

        assertThat(validator.checkShape(aRunRequest().stdin(atLimit).build())).isEmpty();
        assertThat(validator.checkShape(aRunRequest().stdin(twoByteChars).build()))
                .containsExactly(FieldViolation.tooLong("stdin", "at most 1048576 bytes"));
    }

    @Test
    void aCommandOverSixtyFourKibibytesIsTooLong() {
        assertThat(validator.checkShape(aRunRequest().command("x".repeat(65536)).build())).isEmpty();
        assertThat(validator.checkShape(aRunRequest().command("x".repeat(65537)).build()))
                .singleElement()
                .satisfies(v -> assertThat(v.type()).isEqualTo("too_long"));
    }

    @Test
    void nulBytesAreRefusedInCommandAndArgs() {
        List<FieldViolation> violations =
                validator.checkShape(aRunRequest().command("echo\0hi").args(List.of("ok", "b\0d")).build());

        assertThat(fields(violations)).containsExactlyInAnyOrder("command", "args[1]");
    }

    @Test
    void upToTheArgsLimitIsAcceptedAndOneMoreIsNot() {
        List<String> atLimit = Collections.nCopies(1024, "a");
        List<String> overLimit = Collections.nCopies(1025, "a");

        assertThat(validator.checkShape(aRunRequest().args(atLimit).build())).isEmpty();
        assertThat(validator.checkShape(aRunRequest().args(overLimit).build()))
                .containsExactly(FieldViolation.tooLong("args", "at most 1024 arguments"));
    }

    @Test
    void aNullArgumentIsNamedByItsIndex() {
        List<String> args = new ArrayList<>(Arrays.asList("a", null, "c"));

        assertThat(validator.checkShape(aRunRequest().args(args).build()))
                .containsExactly(FieldViolation.invalid("args[1]", "must be a string"));
    }

    @Test
    void envAndLabelsShareTheRuntimeRules() {
        Map<String, String> env = new HashMap<>();
        IntStream.range(0, 129).forEach(i -> env.put("V" + i, "x"));

        List<FieldViolation> violations = validator.checkShape(
                aRunRequest().env(env).labels(Map.of("-bad", "v")).build());

        assertThat(fields(violations)).containsExactlyInAnyOrder("env", "labels.-bad");
    }

    @Test
    void secretEnvTakesTheEnvRulesAndANameIsEitherEnvOrSecret() {
        SubmitRunRequest request = aRunRequest()
                .env(Map.of("SHARED", "plain"))
                .secretEnv(Map.of("SHARED", "s-shared", "9NO", "s-bad", "OK", "s-ok"))
                .build();

        assertThat(validator.checkShape(request)).extracting(FieldViolation::field)
                .containsExactlyInAnyOrder("secret_env.SHARED", "secret_env.9NO");
        assertThat(validator.checkShape(request).toString()).doesNotContain("s-shared").doesNotContain("s-bad");
        assertThat(request.toString()).contains("OK").doesNotContain("s-ok").doesNotContain("plain");
    }

    @Test
    void theSpecCarriesTheSecretNamesAndOneSealedValueOfTheRuntimesAndTheRunsSecrets() {
        SubmitRunRequest request = aRunRequest()
                .env(Map.of("DB_URL", "postgres://plain"))
                .secretEnv(Map.of("TOKEN", "run-token", "SHARED", "run-wins"))
                .build();
        Map<String, String> runtimeSecrets =
                Map.of("DB_URL", "overridden-by-run-env", "SHARED", "runtime", "RUNTIME_ONLY", "rt-secret");

        RunSpec spec = valid(validator.toSpec(
                request, RUN_ID, "alice", aRuntimeSnapshot(), runtimeSecrets, 300, 3600, "user:alice", NOW, RING));

        assertThat(spec.secretEnvNames()).containsExactly("SHARED", "TOKEN");
        assertThat(spec.env()).containsExactly(Map.entry("DB_URL", "postgres://plain"));
        assertThat(RING.open(spec.sealedSecrets(), RunSpec.secretsContext(RUN_ID))).containsExactlyInAnyOrderEntriesOf(
                Map.of("TOKEN", "run-token", "SHARED", "run-wins", "RUNTIME_ONLY", "rt-secret"));
        assertThat(spec.toString()).doesNotContain("run-token").doesNotContain("rt-secret")
                .doesNotContain(spec.sealedSecrets());
        assertThat(spec.withoutSealedSecrets().sealedSecrets()).isNull();
        assertThat(valid(validator.toSpec(aRunRequest().build(), RUN_ID, "alice", aRuntimeSnapshot(), Map.of(), 300,
                3600, "u", NOW, RING)).sealedSecrets()).as("no secrets, nothing sealed").isNull();
    }

    @Test
    void everyShapeProblemIsReportedAtOnce() {
        List<FieldViolation> violations = validator.checkShape(aRunRequest()
                .runtimeKey("")
                .command(null)
                .name("bad")
                .cwd("relative")
                .maxAttempts(9)
                .timeoutSeconds(0)
                .build());

        assertThat(fields(violations)).containsExactlyInAnyOrder(
                "runtime_key", "command", "name", "cwd", "max_attempts", "timeout_seconds");
    }

    @Test
    void theSpecTakesTheRuntimeDefaultTimeoutAndPlatformDefaults() {
        RunSpec spec = valid(validator.toSpec(
                aRunRequest().build(), RUN_ID, "alice", aRuntimeSnapshot(), Map.of(), 300, 3600, "user:alice", NOW, RING));

        assertThat(spec.runId()).isEqualTo(RUN_ID);
        assertThat(spec.handle()).isEqualTo("alice");
        assertThat(spec.runtime()).isEqualTo(aRuntimeSnapshot());
        assertThat(spec.command()).isEqualTo("echo hi");
        assertThat(spec.timeoutSeconds()).isEqualTo(300);
        assertThat(spec.maxOutputBytes()).isEqualTo(1_048_576L);
        assertThat(spec.maxAttempts()).isEqualTo(1);
        assertThat(spec.stdin()).isEmpty();
        assertThat(spec.args()).isEmpty();
        assertThat(spec.env()).isEmpty();
        assertThat(spec.labels()).isEmpty();
        assertThat(spec.cwd()).isNull();
        assertThat(spec.name()).isNull();
        assertThat(spec.triggeredBy()).isEqualTo("user:alice");
        assertThat(spec.createdAt()).isEqualTo(NOW);
    }

    @Test
    void theSpecKeepsWhatTheSubmissionAskedFor() {
        RunSpec spec = valid(validator.toSpec(
                aRunRequest()
                        .name("nightly-build")
                        .args(List.of("-c", "print(1)"))
                        .env(Map.of("A", "1"))
                        .stdin("input")
                        .cwd("/work")
                        .timeoutSeconds(60)
                        .maxOutputBytes(4096L)
                        .maxAttempts(3)
                        .labels(Map.of("team", "a"))
                        .build(),
                RUN_ID, "alice", aRuntimeSnapshot(), Map.of(), 300, 3600, "user:alice", NOW, RING));

        assertThat(spec.name()).isEqualTo("nightly-build");
        assertThat(spec.args()).containsExactly("-c", "print(1)");
        assertThat(spec.env()).containsExactly(Map.entry("A", "1"));
        assertThat(spec.stdin()).isEqualTo("input");
        assertThat(spec.cwd()).isEqualTo("/work");
        assertThat(spec.timeoutSeconds()).isEqualTo(60);
        assertThat(spec.maxOutputBytes()).isEqualTo(4096L);
        assertThat(spec.maxAttempts()).isEqualTo(3);
        assertThat(spec.labels()).containsExactly(Map.entry("team", "a"));
    }

    @Test
    void aTimeoutUpToTheRuntimeMaximumIsAccepted() {
        RunSpec spec = valid(validator.toSpec(
                aRunRequest().timeoutSeconds(120).build(), RUN_ID, "alice", aRuntimeSnapshot(), Map.of(), 30, 120, "u", NOW, RING));

        assertThat(spec.timeoutSeconds()).isEqualTo(120);
    }

    @Test
    void aTimeoutOverTheRuntimeMaximumIsAViolationOnTimeoutSeconds() {
        RunRequestValidator.Result result = validator.toSpec(
                aRunRequest().timeoutSeconds(121).build(), RUN_ID, "alice", aRuntimeSnapshot(), Map.of(), 30, 120, "u", NOW, RING);

        assertThat(result).isInstanceOfSatisfying(RunRequestValidator.Result.Invalid.class, invalid ->
                assertThat(invalid.violations()).singleElement().satisfies(v -> {
                    assertThat(v.field()).isEqualTo("timeout_seconds");
                    assertThat(v.type()).isEqualTo("out_of_range");
                    assertThat(v.message()).contains("busybox").contains("120");
                }));
    }

    private static UnaryOperator<RunRequestBuilder> change(UnaryOperator<RunRequestBuilder> change) {
        return change;
    }

    private static RunSpec valid(RunRequestValidator.Result result) {
        assertThat(result).isInstanceOf(RunRequestValidator.Result.Valid.class);
        return ((RunRequestValidator.Result.Valid) result).spec();
    }

    private static List<String> fields(List<FieldViolation> violations) {
        return violations.stream().map(FieldViolation::field).toList();
    }
}

package dev.coderun.gateway.runtimes;

import static dev.coderun.gateway.GatewayFixtures.DIGEST_A;
import static dev.coderun.gateway.GatewayFixtures.IMAGE_URI;
import static dev.coderun.gateway.GatewayFixtures.aMinimalRuntimeRequest;
import static dev.coderun.gateway.GatewayFixtures.defaultLimits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.coderun.gateway.api.FieldViolation;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RuntimeValidatorTest {

    private final RuntimeValidator validator = new RuntimeValidator(defaultLimits());

    @Test
    void anImageAloneIsEnoughAndEveryDefaultApplies() {
        RuntimeDefinition d = valid("python-3.12", aMinimalRuntimeRequest());

        assertThat(d.imageUri()).isEqualTo(IMAGE_URI);
        assertThat(d.imageDigest()).isEqualTo(DIGEST_A);
        assertThat(d.cpuCores()).isEqualTo(1.0);
        assertThat(d.memoryMb()).isEqualTo(512);
        assertThat(d.pidsLimit()).isEqualTo(256);
        assertThat(d.timeoutSeconds()).isEqualTo(300);
        assertThat(d.maxTimeoutSeconds()).isEqualTo(3600);
        assertThat(d.network()).isEqualTo("none");
        assertThat(d.readOnlyRootfs()).isTrue();
        assertThat(d.enabled()).isTrue();
        assertThat(d.env()).isEmpty();
        assertThat(d.labels()).isEmpty();
        assertThat(d.maxActiveRuns()).isNull();
    }

    @Test
    void theDefaultTimeoutNeverExceedsALowerMaximum() {
        RuntimeDefinition d = valid("busybox", withSandbox(new RuntimeRequest.Sandbox(null, 60, null, null, null)));

        assertThat(d.timeoutSeconds()).isEqualTo(60);
        assertThat(d.maxTimeoutSeconds()).isEqualTo(60);
    }

    @Test
    void explicitSettingsAreKept() {
        RuntimeRequest request = new RuntimeRequest(
                "Python", "CPython 3.12", new RuntimeRequest.Image(IMAGE_URI, DIGEST_A),
                new RuntimeRequest.Resources(2.5, 1024, 100),
                new RuntimeRequest.Sandbox(30, 120, "bridge", false, false),
                Map.of("PYTHONUNBUFFERED", "1"), Map.of("team", "a"), 4, false, null);

        RuntimeDefinition d = valid("python", request);

        assertThat(d.cpuCores()).isEqualTo(2.5);
        assertThat(d.memoryMb()).isEqualTo(1024);
        assertThat(d.pidsLimit()).isEqualTo(100);
        assertThat(d.timeoutSeconds()).isEqualTo(30);
        assertThat(d.maxTimeoutSeconds()).isEqualTo(120);
        assertThat(d.network()).isEqualTo("bridge");
        assertThat(d.readOnlyRootfs()).isFalse();
        assertThat(d.env()).containsEntry("PYTHONUNBUFFERED", "1");
        assertThat(d.labels()).containsEntry("team", "a");
        assertThat(d.maxActiveRuns()).isEqualTo(4);
        assertThat(d.enabled()).isFalse();
    }

    @ParameterizedTest(name = "key \"{0}\" is valid")
    @ValueSource(strings = {"a", "0", "python-3.12", "my_runtime", "a.b-c_d",
        "x23456789012345678901234567890123456789012345678901234567890123"})
    void slugKeysAreAccepted(String key) {
        valid(key, aMinimalRuntimeRequest());
    }

    @ParameterizedTest(name = "key \"{0}\" is refused")
    @ValueSource(strings = {"", "Python", "-lead", ".lead", "_lead", "has space", "a/b", "a:b",
        "x234567890123456789012345678901234567890123456789012345678901234"})
    void nonSlugKeysAreRefused(String key) {
        assertThat(violations(key, aMinimalRuntimeRequest()))
                .containsExactly(new FieldViolation("runtime_key", "must match " + RuntimeValidator.KEY.pattern(),
                        "invalid"));
    }

    @Test
    void anImageIsRequired() {
        RuntimeRequest request = new RuntimeRequest(null, null, null, null, null, null, null, null, null, null);

        assertThat(violations("busybox", request)).containsExactly(FieldViolation.required("image"));
    }

    @Test
    void anImageNeedsBothUriAndDigest() {
        assertThat(violations("busybox", withImage(null, " ")))
                .containsExactlyInAnyOrder(
                        FieldViolation.required("image.uri"), FieldViolation.required("image.digest"));
    }

    @ParameterizedTest(name = "digest \"{0}\" is refused")
    @ValueSource(strings = {
        "sha256:abc",
        "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "sha512:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "sha256:gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"})
    void digestsOtherThanSha256WithSixtyFourLowercaseHexAreRefused(String digest) {
        assertThat(fields(violations("busybox", withImage(IMAGE_URI, digest)))).containsExactly("image.digest");
    }

    @ParameterizedTest(name = "uri \"{0}\" is valid")
    @ValueSource(strings = {"busybox", "busybox:1.37", "library/busybox:latest", "ghcr.io/org/team/app:v1.2_rc-3",
        "127.0.0.1:5000/coderun/busybox", "localhost:5000/app:Latest"})
    void imageReferencesWithOrWithoutTagAreAccepted(String uri) {
        assertThat(valid("busybox", withImage(uri, DIGEST_A)).imageUri()).isEqualTo(uri);
    }

    @ParameterizedTest(name = "uri \"{0}\" is refused")
    @ValueSource(strings = {"Busybox", "busybox@sha256:aaaa", "-busybox", "busybox/",
        "bus box"})
    void malformedImageReferencesAreRefused(String uri) {
        assertThat(fields(violations("busybox", withImage(uri, DIGEST_A)))).containsExactly("image.uri");
    }

    @Test
    void anOverlongImageUriIsRefused() {
        String uri = "registry.example.com/" + "a".repeat(500);

        assertThat(fields(violations("busybox", withImage(uri, DIGEST_A)))).containsExactly("image.uri");
    }

    @ParameterizedTest(name = "cpu={0} memory={1} pids={2} -> {3}")
    @CsvSource(nullValues = "null", value = {
        "0,      null,  null,  resources.cpu_cores",
        "-1,     null,  null,  resources.cpu_cores",
        "64.5,   null,  null,  resources.cpu_cores",
        "null,   15,    null,  resources.memory_mb",
        "null,   65537, null,  resources.memory_mb",
        "null,   null,  0,     resources.pids_limit",
        "null,   null,  32769, resources.pids_limit",
    })
    void resourcesOutOfRangeAreRefused(Double cpu, Integer memory, Integer pids, String field) {
        RuntimeRequest request = withResources(new RuntimeRequest.Resources(cpu, memory, pids));

        assertThat(violations("busybox", request))
                .singleElement()
                .satisfies(v -> {
                    assertThat(v.field()).isEqualTo(field);
                    assertThat(v.type()).isEqualTo("out_of_range");
                });
    }

    @ParameterizedTest(name = "cpu={0} memory={1} pids={2}")
    @CsvSource({"0.1, 16, 1", "64, 65536, 32768"})
    void resourcesAtTheirBoundsAreAccepted(double cpu, int memory, int pids) {
        RuntimeDefinition d = valid("busybox", withResources(new RuntimeRequest.Resources(cpu, memory, pids)));

        assertThat(d.cpuCores()).isEqualTo(cpu);
        assertThat(d.memoryMb()).isEqualTo(memory);
        assertThat(d.pidsLimit()).isEqualTo(pids);
    }

    @ParameterizedTest(name = "timeout={0} max={1} -> {2}")
    @CsvSource(nullValues = "null", value = {
        "null, 0,    sandbox.max_timeout_seconds",
        "null, 3601, sandbox.max_timeout_seconds",
        "0,    null, sandbox.timeout_seconds",
        "121,  120,  sandbox.timeout_seconds",
        "3601, null, sandbox.timeout_seconds",
    })
    void timeoutsOutsideTheirRangeAreRefused(Integer timeout, Integer max, String field) {
        RuntimeRequest request = withSandbox(new RuntimeRequest.Sandbox(timeout, max, null, null, null));

        assertThat(fields(violations("busybox", request))).contains(field);
    }

    @Test
    void aTimeoutEqualToItsMaximumIsAccepted() {
        RuntimeDefinition d = valid("busybox", withSandbox(new RuntimeRequest.Sandbox(3600, 3600, null, null, null)));

        assertThat(d.timeoutSeconds()).isEqualTo(3600);
    }

    @ParameterizedTest(name = "network \"{0}\" is refused")
    @ValueSource(strings = {"host", "None", "", "container:other"})
    void onlyNoneAndBridgeNetworksAreAccepted(String network) {
        RuntimeRequest request = withSandbox(new RuntimeRequest.Sandbox(null, null, network, null, null));

        assertThat(violations("busybox", request))
                .containsExactly(FieldViolation.invalid("sandbox.network", "must be none or bridge"));
    }

    @Test
    void aWorkspaceMountIsRefusedAsNotSupported() {
        RuntimeRequest request = withSandbox(new RuntimeRequest.Sandbox(null, null, null, null, true));

        assertThat(violations("busybox", request))
                .singleElement()
                .satisfies(v -> {
                    assertThat(v.field()).isEqualTo("sandbox.workspace_mount");
                    assertThat(v.type()).isEqualTo("not_supported");
                });
    }

    @Test
    void workspaceMountFalseIsHarmless() {
        valid("busybox", withSandbox(new RuntimeRequest.Sandbox(null, null, null, null, false)));
    }

    @Test
    void tooManyEnvEntriesAreRefusedAsAWhole() {
        Map<String, String> env = new HashMap<>();
        IntStream.range(0, 129).forEach(i -> env.put("VAR_" + i, "x"));

        assertThat(violations("busybox", withEnvAndLabels(env, null)))
                .containsExactly(FieldViolation.tooLong("env", "at most 128 entries"));
    }

    @Test
    void envNamesAndValueSizesAreCheckedOneByOne() {
        Map<String, String> env = new HashMap<>();
        env.put("OK_NAME", "fine");
        env.put("1BAD", "x");
        env.put("HAS-DASH", "x");
        env.put("BIG", "x".repeat(32769));
        env.put("MAX", "x".repeat(32768));
        env.put("NULL_VALUE", null);

        List<FieldViolation> violations = violations("busybox", withEnvAndLabels(env, null));

        assertThat(violations).extracting(FieldViolation::field, FieldViolation::type).containsExactlyInAnyOrder(
                tuple("env.1BAD", "invalid"),
                tuple("env.HAS-DASH", "invalid"),
                tuple("env.BIG", "too_long"),
                tuple("env.NULL_VALUE", "required"));
    }

    @Test
    void envValueSizeCountsUtf8BytesNotCharacters() {
        Map<String, String> env = Map.of("ACCENTS", "é".repeat(16385));

        assertThat(fields(violations("busybox", withEnvAndLabels(env, null)))).containsExactly("env.ACCENTS");
    }

    @Test
    void tooManyLabelsAreRefused() {
        Map<String, String> labels = new HashMap<>();
        IntStream.range(0, 65).forEach(i -> labels.put("l" + i, "v"));

        assertThat(violations("busybox", withEnvAndLabels(null, labels)))
                .containsExactly(FieldViolation.tooLong("labels", "at most 64 labels"));
    }

    @Test
    void sixtyFourLabelsAreAccepted() {
        Map<String, String> labels = new HashMap<>();
        IntStream.range(0, 64).forEach(i -> labels.put("l" + i, "v"));

        assertThat(valid("busybox", withEnvAndLabels(null, labels)).labels()).hasSize(64);
    }

    @Test
    void labelKeysAndValuesAreChecked() {
        Map<String, String> labels = new HashMap<>();
        labels.put("team/owner", "a");
        labels.put("-bad", "a");
        labels.put("long", "v".repeat(256));
        labels.put("null", null);

        assertThat(fields(violations("busybox", withEnvAndLabels(null, labels))))
                .containsExactlyInAnyOrder("labels.-bad", "labels.long", "labels.null");
    }

    @Test
    void maxActiveRunsMustBePositive() {
        RuntimeRequest request = new RuntimeRequest(
                null, null, new RuntimeRequest.Image(IMAGE_URI, DIGEST_A), null, null, null, null, 0, null, null);

        assertThat(fields(violations("busybox", request))).containsExactly("max_active_runs");
    }

    @Test
    void displayNameAndDescriptionHaveLengthLimits() {
        RuntimeRequest request = new RuntimeRequest(
                "n".repeat(256), "d".repeat(4097), new RuntimeRequest.Image(IMAGE_URI, DIGEST_A), null, null, null,
                null, null, null, null);

        assertThat(violations("busybox", request))
                .extracting(FieldViolation::field, FieldViolation::type)
                .containsExactlyInAnyOrder(
                        tuple("display_name", "too_long"),
                        tuple("description", "too_long"));
    }

    @Test
    void secretsTakeTheEnvRulesAndReportNamesNeverValues() {
        RuntimeRequest request = withSecrets(Map.of("API_TOKEN", "tok-good"), Map.of(
                "1BAD", "v-bad-name", "BIG", "x".repeat(32 * 1024 + 1), "SHARED", "v-shared"));
        RuntimeRequest clash = withSecrets(Map.of("SHARED", "plain"), Map.of("SHARED", "v-shared"));

        assertThat(valid("busybox", withSecrets(Map.of("A", "1"), Map.of("TOKEN", "tok-1", "KEY", "k-2"))))
                .satisfies(d -> {
                    assertThat(d.secretNames()).containsExactly("KEY", "TOKEN");
                    assertThat(d.env()).containsOnlyKeys("A");
                    assertThat(d.toString()).doesNotContain("tok-1").doesNotContain("k-2");
                });
        assertThat(violations("busybox", request)).extracting(FieldViolation::field, FieldViolation::type)
                .containsExactlyInAnyOrder(tuple("secrets.1BAD", "invalid"), tuple("secrets.BIG", "too_long"));
        assertThat(violations("busybox", clash)).singleElement().satisfies(v -> {
            assertThat(v.field()).isEqualTo("secrets.SHARED");
            assertThat(v.message()).contains("also set in env").doesNotContain("v-shared").doesNotContain("plain");
        });
        assertThat(request.toString()).contains("BIG").doesNotContain("v-shared").doesNotContain("v-bad-name");
    }

    @Test
    void secretsCountTowardTheEnvLimitsTogetherWithEnv() {
        Map<String, String> env = new java.util.HashMap<>();
        Map<String, String> secrets = new java.util.HashMap<>();
        for (int i = 0; i < 100; i++) {
            env.put("E" + i, "v");
        }
        for (int i = 0; i < 29; i++) {
            secrets.put("S" + i, "v");
        }
        Map<String, String> tooManySecrets = new java.util.HashMap<>();
        for (int i = 0; i < 65; i++) {
            tooManySecrets.put("S" + i, "v");
        }

        assertThat(violations("busybox", withSecrets(env, secrets))).singleElement()
                .satisfies(v -> assertThat(v.message()).contains("env and secrets together: at most 128 entries"));
        secrets.remove("S0");
        valid("busybox", withSecrets(env, secrets));
        assertThat(violations("busybox", withSecrets(Map.of(), tooManySecrets))).singleElement()
                .satisfies(v -> assertThat(v.message()).isEqualTo("at most 64 entries"));
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        RuntimeRequest request = new RuntimeRequest(
                null, null, new RuntimeRequest.Image("UPPER", "md5:x"),
                new RuntimeRequest.Resources(0.0, 1, 0),
                new RuntimeRequest.Sandbox(null, null, "host", null, true), null, null, null, null, null);

        assertThat(fields(violations("Bad Key", request))).containsExactlyInAnyOrder(
                "runtime_key", "image.uri", "image.digest", "resources.cpu_cores", "resources.memory_mb",
                "resources.pids_limit", "sandbox.network", "sandbox.workspace_mount");
    }

    private RuntimeDefinition valid(String key, RuntimeRequest request) {
        RuntimeValidator.Result result = validator.validate(key, request);
        assertThat(result).isInstanceOf(RuntimeValidator.Result.Valid.class);
        return ((RuntimeValidator.Result.Valid) result).definition();
    }

    private List<FieldViolation> violations(String key, RuntimeRequest request) {
        RuntimeValidator.Result result = validator.validate(key, request);
        assertThat(result).isInstanceOf(RuntimeValidator.Result.Invalid.class);
        return ((RuntimeValidator.Result.Invalid) result).violations();
    }

    private static List<String> fields(List<FieldViolation> violations) {
        return violations.stream().map(FieldViolation::field).toList();
    }

    private static RuntimeRequest withImage(String uri, String digest) {
        return new RuntimeRequest(
                null, null, new RuntimeRequest.Image(uri, digest), null, null, null, null, null, null, null);
    }

    private static RuntimeRequest withResources(RuntimeRequest.Resources resources) {
        return new RuntimeRequest(
                null, null, new RuntimeRequest.Image(IMAGE_URI, DIGEST_A), resources, null, null, null, null, null, null);
    }

    private static RuntimeRequest withSandbox(RuntimeRequest.Sandbox sandbox) {
        return new RuntimeRequest(
                null, null, new RuntimeRequest.Image(IMAGE_URI, DIGEST_A), null, sandbox, null, null, null, null, null);
    }

    private static RuntimeRequest withSecrets(Map<String, String> env, Map<String, String> secrets) {
        return new RuntimeRequest(
                null, null, new RuntimeRequest.Image(IMAGE_URI, DIGEST_A), null, null, env, null, null, null, secrets);
    }

    private static RuntimeRequest withEnvAndLabels(Map<String, String> env, Map<String, String> labels) {
        return new RuntimeRequest(
                null, null, new RuntimeRequest.Image(IMAGE_URI, DIGEST_A), null, null, env, labels, null, null, null);
    }
}

package dev.coderun.gateway;

import dev.coderun.events.RunStatus;
import dev.coderun.events.RuntimeSnapshot;
import dev.coderun.gateway.limits.RequestLimits;
import dev.coderun.gateway.runs.RunRecord;
import dev.coderun.gateway.runs.SubmitRunRequest;
import dev.coderun.gateway.runtimes.RuntimeDefinition;
import dev.coderun.gateway.runtimes.RuntimeRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Builders for the gateway's own types, shared by every gateway unit test. */
public final class GatewayFixtures {

    public static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
    public static final Clock FIXED_CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    public static final String IMAGE_URI = "127.0.0.1:5000/coderun/busybox:1.37";
    public static final String DIGEST_A = "sha256:" + "a".repeat(64);
    public static final String DIGEST_B = "sha256:" + "b".repeat(64);

    private GatewayFixtures() {}

    /** {@code coderun.limits.*} with its documented defaults. */
    public static RequestLimits defaultLimits() {
        return RequestLimits.defaults();
    }

    /** The smallest valid runtime body: an image and nothing else, so every default applies. */
    public static RuntimeRequest aMinimalRuntimeRequest() {
        return new RuntimeRequest(
                null, null, new RuntimeRequest.Image(IMAGE_URI, DIGEST_A), null, null, null, null, null, null, null);
    }

    public static RuntimeDefinition aRuntimeDefinition() {
        return aRuntimeDefinition(IMAGE_URI, DIGEST_A);
    }

    public static RuntimeDefinition aRuntimeDefinition(String imageUri, String digest) {
        return new RuntimeDefinition(
                "Busybox", "a tiny shell", imageUri, digest, 1.0, 512, 256, 300, 3600, "none", true, Map.of(),
                Map.of(), null, true, List.of(), null);
    }

    public static RuntimeSnapshot aRuntimeSnapshot() {
        return new RuntimeSnapshot(
                "busybox", "6f1c2e2a-1111-4a4a-9b9b-0123456789ab", 3, IMAGE_URI, DIGEST_A, 1.0, 512, 256, "none",
                true, Map.of());
    }

    public static final UUID RUN_ID = UUID.fromString("019a1b2c-3d4e-7f00-8a00-000000000001");

    /** The {@code echo hi} run of handle {@code alice} as the read model shows it in {@code status}. */
    public static RunRecord aRunRecord(RunStatus status) {
        return new RunRecord(
                RUN_ID, "alice", "busybox", 3, null, "echo hi", List.of(), Map.of(), "", null, 300, 1048576, 1,
                Map.of(),
                status, List.of(RunRecord.Transition.pending(NOW)), status == RunStatus.PENDING ? 0 : 1, null, null,
                null, null, null, NOW, null, null, null, NOW, "user:alice", List.of(), null);
    }

    public static RunRequestBuilder aRunRequest() {
        return new RunRequestBuilder();
    }

    /** A valid {@code echo hi} submission to the busybox runtime; each setter changes one field. */
    public static final class RunRequestBuilder {
        private String runtimeKey = "busybox";
        private String name;
        private String command = "echo hi";
        private List<String> args;
        private Map<String, String> env;
        private String stdin;
        private String cwd;
        private Integer timeoutSeconds;
        private Long maxOutputBytes;
        private Integer maxAttempts;
        private Map<String, String> labels;
        private Map<String, String> secretEnv;

        public RunRequestBuilder runtimeKey(String value) {
            runtimeKey = value;
            return this;
        }

        public RunRequestBuilder name(String value) {
            name = value;
            return this;
        }

        public RunRequestBuilder command(String value) {
            command = value;
            return this;
        }

        public RunRequestBuilder args(List<String> value) {
            args = value;
            return this;
        }

        public RunRequestBuilder env(Map<String, String> value) {
            env = value;
            return this;
        }

        public RunRequestBuilder stdin(String value) {
            stdin = value;
            return this;
        }

        public RunRequestBuilder cwd(String value) {
            cwd = value;
            return this;
        }

        public RunRequestBuilder timeoutSeconds(Integer value) {
            timeoutSeconds = value;
            return this;
        }

        public RunRequestBuilder maxOutputBytes(Long value) {
            maxOutputBytes = value;
            return this;
        }

        public RunRequestBuilder maxAttempts(Integer value) {
            maxAttempts = value;
            return this;
        }

        public RunRequestBuilder labels(Map<String, String> value) {
            labels = value;
            return this;
        }

        public RunRequestBuilder secretEnv(Map<String, String> value) {
            secretEnv = value;
            return this;
        }

        public SubmitRunRequest build() {
            return new SubmitRunRequest(
                    runtimeKey, name, command, args, env, stdin, cwd, timeoutSeconds, maxOutputBytes, maxAttempts,
                    labels, secretEnv);
        }
    }
}

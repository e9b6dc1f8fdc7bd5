package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Drives the real services over HTTP, with real Kafka, PostgreSQL and Docker underneath, and asserts on the run
 * records the projector materialized: what a user of the API sees.
 */
class CodeRunEndToEndIT {

    private static final String REGISTRY = Tenant.REGISTRY;

    private static Tenant tenant;
    private static String handle;
    private static Api api;

    @BeforeAll
    static void registerRuntimes() {
        tenant = Tenant.create("it");
        handle = tenant.handle;
        api = tenant.api;
    }

    @Test
    void aShellFormRunSucceedsWithItsOutputAndEveryTransition() {
        JsonNode run = runToEnd(Map.of("runtime_key", "busybox", "command", "echo hi; echo oops >&2"));

        assertThat(run.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(run.get("exit_code").asInt()).isZero();
        assertThat(run.get("duration_ms").asLong()).isPositive();
        assertThat(run.get("termination_reason").asString()).isEqualTo("exited");
        assertThat(run.get("worker_id").asString()).startsWith("it-worker-");
        assertThat(run.get("started_at").isNull()).isFalse();
        assertThat(run.get("finished_at").isNull()).isFalse();
        assertThat(run.get("triggered_by").asString()).isEqualTo("user:it");
        List<String> statuses = new ArrayList<>();
        run.get("transitions").forEach(t -> statuses.add(t.get("status").asString()));
        assertThat(statuses).containsExactly("PENDING", "QUEUED", "STARTING", "RUNNING", "SUCCEEDED");
        JsonNode output = completeOutput(run);
        assertThat(output.get("stdout").asString()).isEqualTo("hi\n");
        assertThat(output.get("stderr").asString()).isEqualTo("oops\n");
        assertThat(output.get("stdout_bytes").asLong()).isEqualTo(3);
    }

    @Test
    void aNonZeroExitFailsWithTheExitCode() {
        JsonNode run = runToEnd(Map.of("runtime_key", "busybox", "command", "echo partial; exit 3"));

        assertThat(run.get("status").asString()).isEqualTo("FAILED");
        assertThat(run.get("exit_code").asInt()).isEqualTo(3);
        assertThat(completeOutput(run).get("stdout").asString()).isEqualTo("partial\n");
    }

    @Test
    void stdinReachesTheProcess() {
        JsonNode run = runToEnd(Map.of(
                "runtime_key", "busybox", "command", "cat", "args", List.of(), "stdin", "line one\nline two\n"));

        assertThat(run.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(completeOutput(run).get("stdout").asString()).isEqualTo("line one\nline two\n");
    }

    @Test
    void envAndCwdAreApplied() {
        JsonNode run = runToEnd(Map.of(
                "runtime_key", "busybox", "command", "echo \"$GREETING from $(pwd)\"",
                "env", Map.of("GREETING", "hello"), "cwd", "/tmp"));

        assertThat(completeOutput(run).get("stdout").asString()).isEqualTo("hello from /tmp\n");
    }

    @Test
    void execFormPassesArgumentsVerbatimWithoutAShell() {
        JsonNode run = runToEnd(Map.of(
                "runtime_key", "busybox", "command", "echo", "args", List.of("a  b", "$HOME", "*")));

        assertThat(completeOutput(run).get("stdout").asString()).isEqualTo("a  b $HOME *\n");
    }

    @Test
    void thePythonRuntimeRunsPython() {
        JsonNode run = runToEnd(Map.of(
                "runtime_key", "python", "command", "python3",
                "args", List.of("-c", "import sys; print(sum(map(int, sys.stdin.read().split())))"),
                "stdin", "1 2 3 4"));

        assertThat(run.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(completeOutput(run).get("stdout").asString()).isEqualTo("10\n");
    }

    @Test
    void aRunOutlivingItsTimeoutIsTimedOut() {
        JsonNode run = runToEnd(Map.of("runtime_key", "busybox", "command", "sleep 30", "timeout_seconds", 1));

        assertThat(run.get("status").asString()).isEqualTo("TIMED_OUT");
        assertThat(run.get("termination_reason").asString()).isEqualTo("timeout");
    }

    @Test
    void outputBeyondTheCapIsTruncatedButCounted() {
        JsonNode run = runToEnd(Map.of(
                "runtime_key", "busybox", "command", "head -c 5000 /dev/zero | tr '\\0' x", "max_output_bytes", 100));

        JsonNode output = completeOutput(run);
        assertThat(output.get("stdout").asString()).hasSize(100);
        assertThat(output.get("stdout_truncated").asBoolean()).isTrue();
        assertThat(output.get("stdout_bytes").asLong()).isEqualTo(5000);
    }

    @Test
    void theLargestRequestTheApiAcceptsRunsWhole() {
        Map<String, Object> env = new java.util.HashMap<>();
        for (int i = 0; i < 7; i++) {
            env.put("BIG_" + i, "v".repeat(32_000));
        }
        JsonNode run = runToEnd(Map.of("runtime_key", "busybox", "command", "wc -c; echo ${#BIG_6}",
                "stdin", "x".repeat(1024 * 1024), "env", env));

        assertThat(run.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(completeOutput(run).get("stdout").asString().strip().split("\\s+")).containsExactly("1048576", "32000");
    }

    @Test
    void requestsWithoutAValidTokenAreUnauthenticated() {
        Api anonymous = new Api(Stack.get().gatewayUrl, null);
        Api forged = new Api(Stack.get().gatewayUrl,
                Api.token("not-the-secret-not-the-secret-not-the-secret", "user:x", List.of(handle), "runs:read"));

        for (Api caller : List.of(anonymous, forged)) {
            Api.Response response = caller.get("/v2/handles/" + handle + "/code-runs");
            assertThat(response.status()).isEqualTo(401);
            assertThat(response.error().get("code").asString()).isEqualTo("unauthenticated");
            assertThat(response.error().get("request_id").asString())
                    .isEqualTo(response.raw().headers().firstValue("X-Request-Id").orElseThrow());
        }
    }

    @Test
    void anotherHandlesRunIsNotFound() {
        String runId = api.post("/v2/handles/" + handle + "/code-runs",
                Map.of("runtime_key", "busybox", "command", "true")).data().get("id").asString();
        Api stranger = new Api(Stack.get().gatewayUrl,
                Api.token(Stack.JWT_SECRET, "user:other", List.of("other-handle"), "runs:read"));

        assertThat(stranger.get("/v2/handles/" + handle + "/code-runs/" + runId).status()).isEqualTo(404);
        assertThat(stranger.get("/v2/handles/other-handle/code-runs/" + runId).status()).isEqualTo(404);
    }

    @Test
    void anInvalidSubmissionIsRefusedWithEveryFieldNamed() {
        Api.Response response = api.post("/v2/handles/" + handle + "/code-runs",
                Map.of("runtime_key", "busybox", "command", "", "cwd", "relative/../dir", "name", "short"));

        assertThat(response.status()).isEqualTo(422);
        assertThat(response.error().get("code").asString()).isEqualTo("validation_failed");
        List<String> fields = new ArrayList<>();
        response.error().get("details").forEach(d -> fields.add(d.get("field").asString()));
        assertThat(fields).contains("command", "cwd", "name");
    }

    @Test
    void malformedJsonAndUnknownFieldsGetAClearError() {
        Api.Response malformed = api.post("/v2/handles/" + handle + "/code-runs", "{\"command\": ");
        Api.Response unknown = api.post("/v2/handles/" + handle + "/code-runs",
                Map.of("runtime_key", "busybox", "command", "true", "secrets", List.of("s1")));

        assertThat(malformed.status()).isEqualTo(422);
        assertThat(malformed.error().get("code").asString()).isEqualTo("validation_failed");
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(unknown.error().get("details").get(0).get("type").asString()).isEqualTo("unknown_field");
    }

    @Test
    void aRuntimeWhoseDigestDoesNotMatchFailsValidationAndRefusesRuns() {
        String wrong = "sha256:" + "0".repeat(64);
        Api.Response put = api.put("/v2/handles/" + handle + "/code-runtimes/mismatched",
                Map.of("image", Map.of("uri", REGISTRY + "/coderun/busybox", "digest", wrong)));
        assertThat(put.status()).isEqualTo(201);

        Api.Response validated = api.post("/v2/handles/" + handle + "/code-runtimes/mismatched/validate-image", null);
        JsonNode validation = validated.data().get("validation");
        assertThat(validation.get("status").asString()).isEqualTo("FAILED");
        assertThat(validation.get("reason").asString()).isEqualTo("digest_mismatch");
        assertThat(validation.get("expected_digest").asString()).isEqualTo(wrong);
        assertThat(validation.get("actual_digest").asString()).isEqualTo(Tenant.digestOf("coderun/busybox", "latest"));

        Api.Response submit = api.post("/v2/handles/" + handle + "/code-runs",
                Map.of("runtime_key", "mismatched", "command", "true"));
        assertThat(submit.status()).isEqualTo(409);
        assertThat(submit.error().get("code").asString()).isEqualTo("runtime_not_validated");
    }

    @Test
    void anIdenticalRuntimeBodyChangesNothingAndAStaleIfMatchIsRefused() {
        Map<String, Object> body = Map.of("image", Map.of(
                "uri", REGISTRY + "/coderun/busybox", "digest", Tenant.digestOf("coderun/busybox", "latest")));
        Api.Response created = api.put("/v2/handles/" + handle + "/code-runtimes/idempotent", body);
        Api.Response again = api.put("/v2/handles/" + handle + "/code-runtimes/idempotent", body);

        assertThat(created.status()).isEqualTo(201);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.data().get("version").asLong()).isEqualTo(1);

        Map<String, Object> changed = Map.of("image", body.get("image"), "labels", Map.of("team", "qa"));
        Api.Response stale = api.send("PUT", "/v2/handles/" + handle + "/code-runtimes/idempotent", changed,
                Map.of("If-Match", "\"7\""));
        assertThat(stale.status()).isEqualTo(412);
        assertThat(stale.error().get("code").asString()).isEqualTo("precondition_failed");
        Api.Response current = api.send("PUT", "/v2/handles/" + handle + "/code-runtimes/idempotent", changed,
                Map.of("If-Match", created.raw().headers().firstValue("ETag").orElseThrow()));
        assertThat(current.status()).isEqualTo(200);
        assertThat(current.data().get("version").asLong()).isEqualTo(2);
        assertThat(current.data().get("validation").get("status").asString()).isEqualTo("UNVALIDATED");
    }

    private static JsonNode runToEnd(Map<String, Object> request) {
        return tenant.runToEnd(request);
    }

    private static JsonNode completeOutput(JsonNode run) {
        return tenant.completeOutput(run);
    }
}

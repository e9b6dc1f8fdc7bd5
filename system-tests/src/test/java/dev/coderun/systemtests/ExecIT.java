package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code POST /v1/runtimes/{runtime}/exec} (seed 001) against the real stack, backed by a normal run record. */
class ExecIT {

    /** Seed 001's request body, verbatim. */
    private static final String SEED_001_BODY = "{ \"args\": [], \"command\": \"example\", \"cwd\": \"example\","
            + " \"env\": { \"additionalProperty\": \"example\" }, \"max_output_bytes\": 1, \"stdin\": \"example\","
            + " \"timeout_secs\": 1 }";

    private static Tenant tenant;

    @BeforeAll
    static void tenant() {
        tenant = Tenant.create("exec");
    }

    @Test
    void seed001sRequestAnswersInSeed001sShapeWithTheRunItCreated() {
        Api.Response response = tenant.api.post("/v1/runtimes/busybox/exec", SEED_001_BODY);

        assertThat(response.status()).as(response.body().toString()).isEqualTo(200);
        JsonNode data = response.data();
        assertThat(data.properties().stream().map(Map.Entry::getKey).toList()).contains(
                "duration_ms", "exit_code", "stdout", "stderr", "stdout_truncated", "stderr_truncated", "run_id");
        assertThat(data.get("exit_code").asInt()).as("`example` is no command: the shell says 127").isEqualTo(127);
        assertThat(data.get("stdout").asString()).isEmpty();
        assertThat(data.get("stderr").asString()).hasSize(1);
        assertThat(data.get("stderr_truncated").asBoolean()).isTrue();
        assertThat(data.get("stdout_truncated").asBoolean()).isFalse();
        assertThat(data.get("duration_ms").isIntegralNumber()).isTrue();

        // The answer comes from the event feed; the read model catches up on its own.
        JsonNode run = tenant.awaitRun(data.get("run_id").asString(), Tenant::terminal);
        assertThat(run.get("status").asString()).isEqualTo("FAILED");
        assertThat(run.get("exit_code").asInt()).isEqualTo(127);
        assertThat(run.get("cwd").asString()).as("a relative cwd is under the scratch directory")
                .isEqualTo("/tmp/example");
        assertThat(run.get("runtime_key").asString()).isEqualTo("busybox");
    }

    @Test
    void aRuntimeNamedByItsUuidRunsTheCommandWithStdinEnvAndCwd() {
        String id = tenant.api.get("/v2/handles/" + tenant.handle + "/code-runtimes/busybox").data().get("id")
                .asString();

        Api.Response response = tenant.api.post("/v1/runtimes/" + id + "/exec", Map.of(
                "command", "cat; echo \" $GREETING $(pwd)\"; echo warn >&2; exit 4",
                "env", Map.of("GREETING", "hello"), "stdin", "in", "cwd", "work", "timeout_secs", 20));

        assertThat(response.status()).as(response.body().toString()).isEqualTo(200);
        assertThat(response.data().get("exit_code").asInt()).isEqualTo(4);
        assertThat(response.data().get("stdout").asString()).isEqualTo("in hello /tmp/work\n");
        assertThat(response.data().get("stderr").asString()).isEqualTo("warn\n");
        assertThat(response.data().get("stdout_truncated").asBoolean()).isFalse();
    }

    @Test
    void aRunThatOutlivesTheRequestIs504WithItsRunIdAndKeepsRunning() {
        Api.Response response = tenant.api.post("/v1/runtimes/busybox/exec",
                Map.of("command", "sleep 18", "timeout_secs", 20));

        assertThat(response.status()).as(response.body().toString()).isEqualTo(504);
        JsonNode error = response.error();
        assertThat(error.get("code").asString()).isEqualTo("upstream_timeout");
        String runId = error.get("run").get("id").asString();
        assertThat(error.get("message").asString()).contains(runId);
        assertThat(tenant.run(runId)).as("the run has a record").isNotNull();
        JsonNode finished = tenant.awaitRun(runId, Tenant::terminal);
        assertThat(finished.get("status").asString()).isEqualTo("SUCCEEDED");
    }

    @Test
    void badRequestsGetTheEnvelope() {
        Api.Response unknownField = tenant.api.post("/v1/runtimes/busybox/exec",
                Map.of("command", "true", "shell", "bash"));
        assertThat(unknownField.status()).isEqualTo(422);
        assertThat(unknownField.error().get("code").asString()).isEqualTo("validation_failed");

        Api.Response noCommand = tenant.api.post("/v1/runtimes/busybox/exec", Map.of("args", List.of()));
        assertThat(noCommand.status()).isEqualTo(422);
        assertThat(noCommand.error().get("details").get(0).get("field").asString()).isEqualTo("command");

        Api.Response unknownRuntime = tenant.api.post("/v1/runtimes/nope/exec", Map.of("command", "true"));
        assertThat(unknownRuntime.status()).isEqualTo(404);
        assertThat(unknownRuntime.error().get("code").asString()).isEqualTo("not_found");

        Api.Response escape = tenant.api.post("/v1/runtimes/busybox/exec", Map.of("command", "true", "cwd", "../x"));
        assertThat(escape.status()).isEqualTo(422);
        assertThat(escape.error().get("details").get(0).get("field").asString()).isEqualTo("cwd");
    }
}

package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The read side of the API as a user sees it: list filters, the limits route, the run record's fields, output of a
 * run that errored, and image validation by digest against the real local registry.
 */
class RunReadsIT {

    private static final String REGISTRY = Tenant.REGISTRY;

    private static Tenant tenant;
    private static Api api;

    @BeforeAll
    static void tenant() {
        tenant = Tenant.create("reads");
        api = tenant.api;
    }

    private static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static List<String> ids(Api.Response page) {
        assertThat(page.status()).as(page.body().toString()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        page.body().get("data").forEach(run -> ids.add(run.get("id").asString()));
        return ids;
    }

    @Test
    void listFiltersOnLabelsAndCreationTimeCombineWithStatusAndPages() {
        Tenant own = Tenant.create("reads-list");
        String smoke = own.submit(Map.of("runtime_key", "busybox", "command", "true",
                "labels", Map.of("team", "qa", "suite", "smoke")));
        String plain = own.submit(Map.of("runtime_key", "busybox", "command", "true", "labels", Map.of("team", "qa")));
        String nightly = own.submit(Map.of("runtime_key", "busybox", "command", "exit 3",
                "labels", Map.of("team", "ops", "nightly", "yes")));
        String runs = own.runs();

        assertThat(ids(own.api.get(runs))).containsExactly(nightly, plain, smoke);
        assertThat(ids(own.api.get(runs + "?label=team=qa"))).containsExactly(plain, smoke);
        assertThat(ids(own.api.get(runs + "?label=" + q("team=qa") + "&label=suite=smoke"))).containsExactly(smoke);
        assertThat(ids(own.api.get(runs + "?label=nightly"))).containsExactly(nightly);
        assertThat(ids(own.api.get(runs + "?label=team=qa&label=team=ops"))).isEmpty();
        assertThat(ids(own.api.get(runs + "?label=team=dev"))).isEmpty();

        Instant plainCreated = Instant.parse(own.run(plain).get("created_at").asString());
        assertThat(ids(own.api.get(runs + "?created_after=" + q(plainCreated.toString())))).containsExactly(nightly);
        assertThat(ids(own.api.get(runs + "?created_before=" + q(plainCreated.toString())))).containsExactly(smoke);
        String offset = plainCreated.atOffset(ZoneOffset.ofHours(2)).toString();
        assertThat(ids(own.api.get(runs + "?created_after=" + q(plainCreated.minusSeconds(3600).toString())
                + "&created_before=" + q(offset) + "&label=team=qa"))).containsExactly(smoke);

        Api.Response first = own.api.get(runs + "?label=team=qa&limit=1");
        assertThat(ids(first)).containsExactly(plain);
        String cursor = first.body().get("next_cursor").asString();
        Api.Response second = own.api.get(runs + "?label=team=qa&limit=1&cursor=" + cursor);
        assertThat(ids(second)).containsExactly(smoke);
        assertThat(second.body().get("next_cursor").isNull()).isTrue();

        own.awaitRun(nightly, Tenant::terminal);
        own.awaitRun(smoke, Tenant::terminal);
        assertThat(ids(own.api.get(runs + "?status=FAILED&label=team=ops"))).containsExactly(nightly);
        assertThat(ids(own.api.get(runs + "?status=FAILED&label=team=qa"))).isEmpty();
        assertThat(ids(own.api.get(runs + "?runtime_key=busybox&label=suite"))).containsExactly(smoke);
    }

    @Test
    void badListFiltersAreValidationErrorsNamingTheParameter() {
        Api.Response bad = api.get(tenant.runs() + "?created_after=yesterday&created_before=2026-01-01&label=%3Dqa");

        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.error().get("code").asString()).isEqualTo("validation_failed");
        List<String> fields = new ArrayList<>();
        bad.error().get("details").forEach(d -> fields.add(d.get("field").asString()));
        assertThat(fields).containsExactlyInAnyOrder("created_after", "created_before", "label");
    }

    @Test
    void limitsShowActiveAndQueuedRunsAgainstTheSchedulersLimitsAndTodaysWrites() {
        Tenant own = Tenant.create("reads-limits");
        String path = "/v2/handles/" + own.handle + "/limits";
        JsonNode before = own.api.get(path).data();
        assertThat(before.get("active_runs").asLong()).isZero();
        assertThat(before.get("queued_runs").asLong()).isZero();
        assertThat(before.get("max_active_runs").asInt()).isEqualTo(Stack.MAX_ACTIVE_PER_HANDLE);
        assertThat(before.get("max_queued_runs").asInt()).isEqualTo(10000);
        JsonNode daily = before.get("daily_writes");
        assertThat(daily.get("used").asLong()).as("the two runtimes the tenant registered and validated").isEqualTo(4);
        assertThat(daily.get("limit").asLong()).as("coderun.quotas.daily-writes' default").isEqualTo(1_000_000);
        assertThat(Instant.parse(daily.get("resets_at").asString())).isEqualTo(
                LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant());

        List<String> sleepers = new ArrayList<>();
        for (int i = 0; i <= Stack.MAX_ACTIVE_PER_HANDLE; i++) {
            sleepers.add(own.submit(Map.of("runtime_key", "busybox", "command", "sleep 19")));
        }
        JsonNode full = await("the handle at its active limit").atMost(Tenant.RUN_BOUND)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> own.api.get(path).data(), limits ->
                        limits.get("active_runs").asLong() == Stack.MAX_ACTIVE_PER_HANDLE
                                && limits.get("queued_runs").asLong() == 1);
        assertThat(full.get("daily_writes").get("used").asLong()).isEqualTo(4 + sleepers.size());

        for (String id : sleepers) {
            own.api.post(own.runs() + "/" + id + "/cancel", null);
        }
        await("every sleeper ended").atMost(Tenant.RUN_BOUND).pollInterval(Duration.ofMillis(200))
                .until(() -> own.api.get(path).data(), limits ->
                        limits.get("active_runs").asLong() == 0 && limits.get("queued_runs").asLong() == 0);

        Api other = new Api(Stack.get().gatewayUrl, Api.token(Stack.JWT_SECRET, "user:it", List.of(own.handle),
                "runtimes:read"));
        assertThat(other.get(path).status()).isEqualTo(403);
        assertThat(api.get(path).status()).as("another handle's limits").isEqualTo(404);
    }

    @Test
    void theRunRecordCarriesEverySpecField() {
        String id = tenant.submit(Map.of("runtime_key", "busybox", "name", "reads-record-1", "command", "cat",
                "stdin", "fed\u0000in", "cwd", "/tmp", "env", Map.of("A", "1"), "labels", Map.of("k", "v")));
        JsonNode run = tenant.awaitRun(id, Tenant::terminal);

        List<String> fields = new ArrayList<>();
        run.propertyNames().forEach(fields::add);
        assertThat(fields).containsAll(List.of("id", "handle", "runtime_key", "runtime_version", "name", "command",
                "args", "env", "stdin", "cwd", "timeout_seconds", "max_output_bytes", "max_attempts", "labels",
                "status", "transitions", "attempt", "worker_id", "exit_code", "duration_ms", "termination_reason",
                "error", "created_at", "queued_at", "started_at", "finished_at", "updated_at", "triggered_by"));
        assertThat(run.get("stdin").asString()).isEqualTo("fed\u0000in");
        assertThat(run.get("name").asString()).isEqualTo("reads-record-1");
        assertThat(run.get("triggered_by").asString()).isEqualTo("user:it");
        assertThat(run.get("queued_at").isNull()).isFalse();
        assertThat(run.get("finished_at").isNull()).isFalse();
        assertThat(tenant.completeOutput(run).get("stdout").asString()).isEqualTo("fed\u0000in");

        JsonNode listed = tenant.api.get(tenant.runs() + "?label=k=v").body().get("data").get(0);
        assertThat(listed.get("id").asString()).isEqualTo(id);
        assertThat(listed.get("stdin").isNull()).as("a listing leaves stdin out").isTrue();
    }

    @Test
    void aTagLessUriIsValidatedByItsPinnedDigestAndRuns() {
        String python = Tenant.digestOf("coderun/python", "3.11");
        String busybox = Tenant.digestOf("coderun/busybox", "latest");

        assertThat(validate("py-tagless", REGISTRY + "/coderun/python", python).get("status").asString())
                .isEqualTo("VALID");
        JsonNode run = tenant.runToEnd(Map.of("runtime_key", "py-tagless", "command", "python3",
                "args", List.of("-c", "print(6 * 7)")));
        assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
        assertThat(tenant.completeOutput(run).get("stdout").asString()).isEqualTo("42\n");

        JsonNode mismatch = validate("py-other-digest", REGISTRY + "/coderun/python:3.11", busybox);
        assertThat(mismatch.get("status").asString()).isEqualTo("FAILED");
        assertThat(mismatch.get("reason").asString()).isEqualTo("digest_mismatch");
        assertThat(mismatch.get("actual_digest").asString()).isEqualTo(python);

        JsonNode missing = validate("py-missing", REGISTRY + "/coderun/python", busybox);
        assertThat(missing.get("reason").asString()).isEqualTo("image_not_found");
    }

    @Test
    void theOutputOfARunThatErroredWithoutOutputIsUnavailableWithTheRunsError() throws Exception {
        // An image that validates, then leaves the registry and the engine: the worker cannot pull it, so the run
        // ends ERRORED image_unavailable before anything ran.
        String repository = "coderun-it/gone-" + UUID.randomUUID().toString().substring(0, 8);
        String image = REGISTRY + "/" + repository;
        docker("tag", REGISTRY + "/coderun/busybox:latest", image + ":1");
        docker("push", image + ":1");
        String digest = Tenant.digestOf(repository, "1");
        assertThat(validate("gone", image + ":1", digest).get("status").asString()).isEqualTo("VALID");
        HttpResponse<Void> deleted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://" + REGISTRY + "/v2/" + repository + "/manifests/" + digest)).DELETE().build(),
                HttpResponse.BodyHandlers.discarding());
        assertThat(deleted.statusCode()).isEqualTo(202);
        docker("rmi", image + ":1");

        JsonNode run = tenant.runToEnd(Map.of("runtime_key", "gone", "command", "echo never"));
        assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("ERRORED");
        assertThat(run.get("error").get("code").asString()).isEqualTo("image_unavailable");

        Api.Response output = api.get(tenant.runs() + "/" + run.get("id").asString() + "/output");
        assertThat(output.status()).isEqualTo(409);
        assertThat(output.error().get("code").asString()).isEqualTo("output_unavailable");
        assertThat(output.error().get("run").get("error").get("code").asString()).isEqualTo("image_unavailable");
        assertThat(output.error().get("run").get("status").asString()).isEqualTo("ERRORED");
        assertThat(output.raw().headers().firstValue("X-Request-Id")).isPresent();

        JsonNode failed = tenant.runToEnd(Map.of("runtime_key", "busybox", "command", "exit 4"));
        assertThat(api.get(tenant.runs() + "/" + failed.get("id").asString() + "/output").status())
                .as("a run that failed without output has an error-free record: its empty output is served")
                .isEqualTo(200);
    }

    private JsonNode validate(String key, String uri, String digest) {
        String path = "/v2/handles/" + tenant.handle + "/code-runtimes/" + key;
        Api.Response put = api.put(path, Map.of("image", Map.of("uri", uri, "digest", digest),
                "sandbox", Map.of("timeout_seconds", 20)));
        assertThat(put.status()).as(put.body().toString()).isIn(200, 201);
        Api.Response validated = api.post(path + "/validate-image", null);
        assertThat(validated.status()).as(validated.body().toString()).isEqualTo(200);
        return validated.data().get("validation");
    }

    private static void docker(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
    }
}

package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.RunStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code POST .../code-runs/batch} end to end: per-item results in order, and a full batch of 1000 in one request. */
class BatchSubmitIT {

    private static Api.Response batch(Tenant tenant, List<?> runs) {
        return tenant.api.post(tenant.runs() + "/batch", Map.of("runs", runs));
    }

    @Test
    void aBatchAcceptsItsValidItemsAndRefusesTheOthersEachWithItsOwnError() {
        Tenant tenant = Tenant.create("batch-mixed");

        Api.Response answer = batch(tenant, List.of(
                Map.of("runtime_key", "busybox", "command", "echo one"),
                Map.of("runtime_key", "busybox"),
                Map.of("runtime_key", "nope", "command", "true"),
                Map.of("runtime_key", "python", "command", "python3", "args", List.of("-c", "print(2)")),
                Map.of("runtime_key", "busybox", "command", "true", "timeout_seconds", "soon"),
                Map.of("runtime_key", "busybox", "command", "true", "idempotency_key", "")));

        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        JsonNode results = answer.data();
        List<Integer> statuses = new ArrayList<>();
        results.forEach(r -> statuses.add(r.get("status").asInt()));
        assertThat(statuses).containsExactly(202, 422, 422, 202, 422, 422);
        assertThat(errorField(results.get(1))).isEqualTo("command");
        assertThat(results.get(2).get("error").get("details").get(0).get("type").asString()).isEqualTo("not_found");
        assertThat(errorField(results.get(4))).isEqualTo("timeout_seconds");
        assertThat(errorField(results.get(5))).isEqualTo("idempotency_key");
        assertThat(results.get(1).get("error").get("code").asString()).isEqualTo("validation_failed");
        assertThat(results.get(1).get("error").get("request_id").asString())
                .isEqualTo(answer.raw().headers().firstValue("X-Request-Id").orElseThrow());

        JsonNode echo = tenant.awaitRun(results.get(0).get("run").get("id").asString(), Tenant::terminal);
        JsonNode python = tenant.awaitRun(results.get(3).get("run").get("id").asString(), Tenant::terminal);
        assertThat(echo.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(tenant.completeOutput(echo).get("stdout").asString()).isEqualTo("one\n");
        assertThat(python.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(tenant.completeOutput(python).get("stdout").asString()).isEqualTo("2\n");
        assertThat(results.get(0).get("replayed").asBoolean()).isFalse();
    }

    @Test
    void aBatchWithNoRunsOrMoreThan1000IsRefusedWhole() {
        Tenant tenant = Tenant.create("batch-bounds");
        Map<String, Object> run = Map.of("runtime_key", "busybox", "command", "true");

        Api.Response empty = batch(tenant, List.of());
        Api.Response tooMany = batch(tenant, java.util.Collections.nCopies(1001, run));

        assertThat(empty.status()).isEqualTo(422);
        assertThat(empty.error().get("details").get(0).get("field").asString()).isEqualTo("runs");
        assertThat(tooMany.status()).isEqualTo(422);
        assertThat(Commands.runRows(Stack.get(), tenant.handle, null)).isZero();
    }

    @Test
    void aBatchOf1000RunsIsAcceptedInOneRequestAndEveryRunIsDurable() throws Exception {
        Stack stack = Stack.get();
        Tenant tenant = Tenant.create("batch-1000");
        // The handle's active slots are taken by sleepers first (outliving the test: the runtime's default timeout
        // would free their slots), so the 1000 runs wait in its queue and never hold the shared worker; all are
        // cancelled at the end.
        List<String> sleepers = new ArrayList<>();
        for (int i = 0; i < Stack.MAX_ACTIVE_PER_HANDLE; i++) {
            sleepers.add(tenant.submit(
                    Map.of("runtime_key", "busybox", "command", "sleep 600", "timeout_seconds", 600)));
        }
        for (String sleeper : sleepers) {
            tenant.awaitRun(sleeper, run -> !run.get("status").asString().equals("PENDING"));
        }
        List<Map<String, Object>> runs = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            runs.add(Map.of("runtime_key", "busybox", "command", "echo " + i, "labels", Map.of("n", "" + i)));
        }

        Api.Response answer = batch(tenant, runs);

        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        // Every row is there once the batch is answered: the gateway wrote them, not the projector later.
        assertThat(Commands.runRows(stack, tenant.handle, null)).isEqualTo(1000 + sleepers.size());
        List<String> ids = new ArrayList<>();
        answer.data().forEach(r -> {
            assertThat(r.get("status").asInt()).as(r.toString()).isEqualTo(202);
            assertThat(r.get("run").get("status").asString()).isEqualTo("PENDING");
            ids.add(r.get("run").get("id").asString());
        });
        assertThat(ids).hasSize(1000).doesNotHaveDuplicates();
        assertThat(answer.data().get(999).get("run").get("command").asString()).isEqualTo("echo 999");
        List<String> submitted = Commands.submittedRunIds(stack, tenant.handle);
        assertThat(submitted).containsAll(ids).hasSize(1000 + sleepers.size());

        List<String> all = new ArrayList<>(ids);
        all.addAll(sleepers);
        cancelAll(tenant, all);
        await("all 1003 runs cancelled").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                .until(() -> Commands.runRows(stack, tenant.handle, RunStatus.CANCELLED.name()) == all.size());
    }

    private static void cancelAll(Tenant tenant, List<String> runIds) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            var answers = new ArrayList<java.util.concurrent.Future<Integer>>();
            for (String id : runIds) {
                answers.add(pool.submit(() -> tenant.api.post(tenant.runs() + "/" + id + "/cancel", null).status()));
            }
            var statuses = new HashSet<Integer>();
            for (var answer : answers) {
                statuses.add(answer.get());
            }
            assertThat(statuses).isSubsetOf(200, 202);
        }
    }

    private static String errorField(JsonNode result) {
        return result.get("error").get("details").get(0).get("field").asString();
    }
}

package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code Idempotency-Key} across two gateway processes sharing Kafka and PostgreSQL. */
class IdempotencyIT {

    private static Stack stack;
    private static Tenant tenant;
    private static Api second;

    @BeforeAll
    static void twoGateways() {
        stack = Stack.get();
        tenant = Tenant.create("idem");
        String url = stack.startAnotherGateway("gateway-2");
        second = new Api(url, Api.token(Stack.JWT_SECRET, "user:it", List.of(tenant.handle),
                "runtimes:read runtimes:write runs:read runs:write"));
    }

    private static Api.Response submit(Api api, String key, Object body) {
        return api.send("POST", tenant.runs(), body, Map.of("Idempotency-Key", key));
    }

    @Test
    void concurrentDuplicatesAtTwoGatewaysMakeExactlyOneRun() throws Exception {
        String key = "dup-" + UUID.randomUUID();
        String command = "true # " + key;
        Map<String, Object> body = Map.of("runtime_key", "busybox", "command", command);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Api.Response>> answers = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(20)) {
            for (int i = 0; i < 20; i++) {
                Api api = i % 2 == 0 ? tenant.api : second;
                answers.add(pool.submit(() -> {
                    go.await();
                    return submit(api, key, body);
                }));
            }
            go.countDown();
            Set<String> runIds = new HashSet<>();
            int fresh = 0;
            for (Future<Api.Response> future : answers) {
                Api.Response answer = future.get();
                assertThat(answer.status()).as(answer.body().toString()).isEqualTo(202);
                runIds.add(answer.data().get("id").asString());
                if (answer.raw().headers().firstValue("Idempotent-Replayed").isEmpty()) {
                    fresh++;
                }
            }
            assertThat(runIds).hasSize(1);
            assertThat(fresh).as("answers that are not replays").isEqualTo(1);
            String runId = runIds.iterator().next();
            assertThat(Commands.submittedRunIds(stack, tenant.handle)).containsOnlyOnce(runId);
            assertThat(countRuns("select count(*) from runs where handle = ? and command = ?", tenant.handle, command))
                    .isEqualTo(1);
            assertThat(tenant.awaitRun(runId, Tenant::terminal).get("status").asString()).isEqualTo("SUCCEEDED");
        }
    }

    @Test
    void theSameKeyWithAnotherBodyIsRefusedAndTheSameBodyReplaysInABatchToo() {
        String key = "reuse-" + UUID.randomUUID();
        Api.Response first = submit(tenant.api, key, "{\"runtime_key\":\"busybox\",\"command\":\"echo a\"}");
        assertThat(first.status()).isEqualTo(202);
        String runId = first.data().get("id").asString();

        Api.Response other = submit(second, key, Map.of("runtime_key", "busybox", "command", "echo b"));
        Api.Response reordered = submit(second, key, "{ \"command\": \"echo a\",  \"runtime_key\": \"busybox\" }");
        Api.Response batch = second.post(tenant.runs() + "/batch", Map.of("runs", List.of(
                Map.of("runtime_key", "busybox", "command", "echo a", "idempotency_key", key),
                Map.of("runtime_key", "busybox", "command", "echo c", "idempotency_key", key))));

        assertThat(other.status()).isEqualTo(422);
        assertThat(other.error().get("code").asString()).isEqualTo("idempotency_key_reused");
        assertThat(reordered.status()).isEqualTo(202);
        assertThat(reordered.data().get("id").asString()).isEqualTo(runId);
        assertThat(reordered.raw().headers().firstValue("Idempotent-Replayed")).contains("true");
        JsonNode results = batch.data();
        assertThat(results.get(0).get("status").asInt()).isEqualTo(202);
        assertThat(results.get(0).get("replayed").asBoolean()).isTrue();
        assertThat(results.get(0).get("run").get("id").asString()).isEqualTo(runId);
        assertThat(results.get(1).get("status").asInt()).isEqualTo(422);
        assertThat(results.get(1).get("error").get("code").asString()).isEqualTo("idempotency_key_reused");
        assertThat(countRuns("select count(*) from runs where handle = ? and command = 'echo a'", tenant.handle))
                .isEqualTo(1);
    }

    @Test
    void aKeyThatIsNotPrintableAsciiOrTooLongIsAValidationError() {
        Map<String, Object> body = Map.of("runtime_key", "busybox", "command", "true");

        Api.Response tooLong = submit(tenant.api, "k".repeat(256), body);

        assertThat(tooLong.status()).isEqualTo(422);
        assertThat(tooLong.error().get("code").asString()).isEqualTo("validation_failed");
        assertThat(tooLong.error().get("details").get(0).get("field").asString()).isEqualTo("Idempotency-Key");
    }

    private static long countRuns(String sql, String... parameters) {
        try (var conn = stack.database(); var stmt = conn.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                stmt.setString(i + 1, parameters[i]);
            }
            try (var rows = stmt.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}

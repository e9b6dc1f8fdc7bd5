package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Fleet operations through the API on the live stack: the operator lists the stack's one worker with its slots and
 * running runs, and drains it; a run handed back past the deadline is run again as its next attempt once the worker
 * takes runs again. Every test leaves the worker undrained for the other tests of this JVM.
 */
class FleetIT {

    private static final Duration BOUND = Duration.ofSeconds(60);

    private static Tenant tenant;
    private static Api operator;
    private static String workerId;

    @BeforeAll
    static void aTenantAndTheOperator() {
        tenant = Tenant.create("fleet");
        operator = new Api(Stack.get().gatewayUrl,
                Api.token(Stack.JWT_SECRET, "user:operator", List.of(Stack.OPERATOR_HANDLE), "admin"));
        workerId = Stack.get().workerId;
    }

    @AfterEach
    void undrain() {
        assertThat(operator.post(workers() + "/" + workerId + "/undrain", null).status()).isEqualTo(202);
        await("worker active").atMost(BOUND).until(() -> worker().path("state").asString().equals("active"));
    }

    @Test
    void theOperatorListsTheWorkerWithItsSlotsAndRunningRunAndATenantAdminDoesNotSeeTheFleet() {
        String runId = tenant.submit(Map.of("runtime_key", "busybox", "command", "echo up; sleep 6"));
        tenant.awaitStatus(runId, dev.coderun.events.RunStatus.RUNNING);

        JsonNode listed = await("the run listed on the worker").atMost(BOUND).until(this::worker,
                w -> w.path("runs").toString().contains(runId));

        assertThat(listed.path("state").asString()).isEqualTo("active");
        assertThat(listed.path("slots").path("total").asInt()).isEqualTo(Stack.WORKER_SLOTS);
        assertThat(listed.path("slots").path("busy").asInt() + listed.path("slots").path("free").asInt())
                .isEqualTo(Stack.WORKER_SLOTS);
        assertThat(listed.path("runs")).anySatisfy(run -> {
            assertThat(run.path("run_id").asString()).isEqualTo(runId);
            assertThat(run.path("attempt").asInt()).isEqualTo(1);
        });
        assertThat(listed.path("host").asString()).isNotBlank();
        assertThat(listed.path("last_heartbeat_at").asString()).isNotBlank();
        assertThat(listed.path("heartbeat_age_ms").asLong()).isNotNegative();
        assertThat(operator.get(workers() + "/" + workerId).data().path("worker_id").asString()).isEqualTo(workerId);

        Api tenantAdmin = new Api(Stack.get().gatewayUrl,
                Api.token(Stack.JWT_SECRET, "user:it", List.of(tenant.handle), "admin"));
        Api.Response refused = tenantAdmin.get(workers());
        assertThat(refused.status()).isEqualTo(404);
        assertThat(refused.body().toString()).doesNotContain(runId).doesNotContain(workerId);
        assertThat(tenantAdmin.post(workers() + "/" + workerId + "/drain", Map.of()).status()).isEqualTo(404);
        tenant.awaitRun(runId, Tenant::terminal);
    }

    @Test
    void aRunStillRunningAtTheDeadlineIsHandedBackAndRunsAgainAsItsNextAttemptOnceTheWorkerIsUndrained() {
        assertThat(operator.post(workers() + "/no-such-worker/drain", Map.of()).status()).isEqualTo(404);
        Api.Response bad = operator.post(workers() + "/" + workerId + "/drain", Map.of("deadline_seconds", -1));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.error().path("details").get(0).path("field").asString()).isEqualTo("deadline_seconds");
        String runId = tenant.submit(Map.of("runtime_key", "busybox", "command", "echo attempt; sleep 5; echo done",
                "max_attempts", 2));
        tenant.awaitStatus(runId, dev.coderun.events.RunStatus.RUNNING);

        Api.Response drained = operator.post(workers() + "/" + workerId + "/drain", Map.of("deadline_seconds", 0));

        assertThat(drained.status()).as(drained.body().toString()).isEqualTo(202);
        assertThat(drained.data().path("directive").asString()).isEqualTo("drain");
        assertThat(drained.data().path("deadline").isNull()).isFalse();
        await("worker drained, holding no run").atMost(BOUND).until(this::worker,
                w -> w.path("state").asString().equals("drained") && w.path("runs").isEmpty());
        // The scheduler's lease gives attempt 1 up and queues attempt 2, which the drained worker does not take.
        tenant.awaitRun(runId, run -> run.path("status").asString().equals("QUEUED")
                && run.path("attempt").asInt() == 2);
        assertThat(worker().path("runs")).isEmpty();

        assertThat(operator.post(workers() + "/" + workerId + "/undrain", null).status()).isEqualTo(202);

        JsonNode finished = tenant.awaitRun(runId, Tenant::terminal);
        assertThat(finished.path("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(finished.path("attempt").asInt()).isEqualTo(2);
        assertThat(Tenant.statuses(finished)).containsSubsequence("RUNNING#1", "QUEUED#2", "RUNNING#2",
                "SUCCEEDED#2");
        assertThat(tenant.completeOutput(finished).path("stdout").asString()).isEqualTo("attempt\ndone\n");
    }

    private JsonNode worker() {
        Api.Response listed = operator.get(workers());
        assertThat(listed.status()).as(listed.body().toString()).isEqualTo(200);
        for (JsonNode worker : listed.data()) {
            if (worker.path("worker_id").asString().equals(workerId)) {
                return worker;
            }
        }
        throw new AssertionError("worker " + workerId + " not listed: " + listed.body());
    }

    private static String workers() {
        return "/v2/fleet/workers";
    }
}

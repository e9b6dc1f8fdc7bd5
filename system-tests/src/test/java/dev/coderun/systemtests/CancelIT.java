package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.RunStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code POST .../code-runs/{id}/cancel} in every status, end to end. */
class CancelIT {

    private static Tenant tenant;

    @BeforeAll
    static void tenant() {
        tenant = Tenant.create("cancel");
    }

    @Test
    void cancellingAQueuedRunEndsItAtOnceAndItsSlotIsNeverTaken() {
        List<String> sleepers = new ArrayList<>();
        for (int i = 0; i < Stack.MAX_ACTIVE_PER_HANDLE; i++) {
            sleepers.add(tenant.submit(Map.of("runtime_key", "busybox", "command", "sleep 60")));
        }
        String queued = tenant.submit(Map.of("runtime_key", "busybox", "command", "echo never"));
        String next = tenant.submit(Map.of("runtime_key", "busybox", "command", "echo next"));
        tenant.awaitStatus(next, RunStatus.QUEUED);

        Api.Response cancel = cancel(queued);

        assertThat(cancel.status()).as(cancel.body().toString()).isIn(200, 202);
        JsonNode cancelled = tenant.awaitStatus(queued, RunStatus.CANCELLED);
        assertThat(Tenant.statuses(cancelled)).containsExactly("PENDING#0", "QUEUED#1", "CANCELLED#1");
        assertThat(cancelled.get("termination_reason").asString()).isEqualTo("cancelled");

        // Cancelling a running sleeper frees its slot, and the next queued run (not the cancelled one) takes it.
        assertThat(cancel(sleepers.getFirst()).status()).isIn(200, 202);
        JsonNode ran = tenant.awaitStatus(next, RunStatus.SUCCEEDED);
        assertThat(tenant.completeOutput(ran).get("stdout").asString()).isEqualTo("next\n");
        assertThat(tenant.run(sleepers.getFirst()).get("status").asString()).isEqualTo("CANCELLED");
        for (String sleeper : sleepers.subList(1, sleepers.size())) {
            assertThat(Tenant.terminal(tenant.run(sleeper))).as("a sleeper nobody cancelled").isFalse();
            cancel(sleeper);
            tenant.awaitStatus(sleeper, RunStatus.CANCELLED);
        }
    }

    @Test
    void cancellingARunningRunKillsItsContainerAndKeepsItsOutput() {
        String runId = tenant.submit(Map.of("runtime_key", "busybox", "command", "echo started; sleep 60"));
        tenant.awaitStatus(runId, RunStatus.RUNNING);
        tenant.awaitRun(runId, run -> tenant.api.get(tenant.runs() + "/" + runId + "/output").data()
                .get("stdout").asString().equals("started\n"));

        cancel(runId);

        JsonNode run = tenant.awaitStatus(runId, RunStatus.CANCELLED);
        assertThat(run.get("termination_reason").asString()).isEqualTo("cancelled");
        assertThat(run.get("duration_ms").asLong()).isLessThan(60_000);
        assertThat(tenant.completeOutput(run).get("stdout").asString()).isEqualTo("started\n");
        assertThat(Tenant.statuses(run)).endsWith("RUNNING#1", "CANCELLED#1");
    }

    @Test
    void cancellingARunRightAfterSubmittingItEndsItCancelled() {
        String runId = tenant.submit(Map.of("runtime_key", "busybox", "command", "sleep 60"));

        assertThat(cancel(runId).status()).isIn(200, 202);

        assertThat(tenant.awaitRun(runId, Tenant::terminal).get("status").asString()).isEqualTo("CANCELLED");
    }

    @Test
    void cancellingARunThatEndedIsAConflictNamingItsStatusAndRepeatingItIsHarmless() {
        JsonNode done = tenant.runToEnd(Map.of("runtime_key", "busybox", "command", "true"));

        Api.Response first = cancel(done.get("id").asString());
        Api.Response again = cancel(done.get("id").asString());

        for (Api.Response response : List.of(first, again)) {
            assertThat(response.status()).isEqualTo(409);
            assertThat(response.error().get("code").asString()).isEqualTo("conflict");
            assertThat(response.error().get("message").asString()).contains("SUCCEEDED");
        }
        assertThat(tenant.run(done.get("id").asString()).get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(cancel("0190a0a0-0000-7000-8000-000000000000").status()).isEqualTo(404);
    }

    private static Api.Response cancel(String runId) {
        return tenant.api.post(tenant.runs() + "/" + runId + "/cancel", null);
    }
}

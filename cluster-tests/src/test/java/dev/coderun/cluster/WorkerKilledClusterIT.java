package dev.coderun.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A worker container is killed (SIGKILL) while a batch runs on three: every run still ends exactly once with its own
 * output, no handle ever has more runs active than its limit and no worker more than its slots, and afterwards the
 * handle's whole capacity runs at once on the two workers left (nothing leaked a slot). Runs are read through the
 * gateway's API.
 */
class WorkerKilledClusterIT {

    private static final Logger log = LoggerFactory.getLogger(WorkerKilledClusterIT.class);
    private static final int SLOTS = 2;
    private static final int WORKERS = 3;
    private static final int MAX_ACTIVE = 4;
    private static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "ERRORED",
            "REJECTED");
    private static final Set<String> ACTIVE = Set.of("STARTING", "RUNNING");

    private static Fleet fleet;
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final JsonMapper json = JsonMapper.builder().build();
    private static String handle;
    private static String token;

    @BeforeAll
    static void startFleet() throws Exception {
        long t0 = System.nanoTime();
        fleet = new Fleet(SLOTS);
        fleet.start(WORKERS, MAX_ACTIVE);
        log.info("fleet up in {} ms (3 brokers, scheduler, gateway, {} workers)", (System.nanoTime() - t0) / 1_000_000,
                WORKERS);
        handle = fleet.tag;
        token = fleet.token(handle);
        Map<String, String> base = Fleet.baseImages();
        JsonNode put = call("PUT", "/v2/handles/" + handle + "/code-runtimes/busybox", """
                {"display_name":"busybox","image":{"uri":"%s","digest":"%s"},
                 "resources":{"cpu_cores":1,"memory_mb":64,"pids_limit":32},"sandbox":{"timeout_seconds":60}}"""
                .formatted(base.get("BUSYBOX_IMAGE"), base.get("BUSYBOX_DIGEST")));
        assertThat(put.path("data").path("key").asString()).as(put.toString()).isEqualTo("busybox");
        JsonNode valid = call("POST", "/v2/handles/" + handle + "/code-runtimes/busybox/validate-image", null);
        assertThat(valid.path("data").path("validation").path("status").asString()).as(valid.toString())
                .isEqualTo("VALID");
    }

    @AfterAll
    static void stopFleet() {
        if (fleet != null) {
            fleet.close();
            removeRunContainers();
        }
    }

    @Test
    void aWorkerKilledMidBatchLosesNoRunAndLeaksNoSlot() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ids.add(submit("sleep 12; echo ok-" + i));
        }
        // Kill the worker holding the most runs once it holds one that has started. A run takes 12 s, far longer than
        // reading the batch (well under a second per run): the runs seen RUNNING there are still running at the kill.
        Map<String, JsonNode> seen = new HashMap<>();
        String[] victim = new String[1];
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(300)).until(() -> {
            sample(ids, seen);
            Map<String, Long> running = new HashMap<>();
            seen.values().stream().filter(r -> r.path("status").asString().equals("RUNNING"))
                    .forEach(r -> running.merge(r.path("worker_id").asString(), 1L, Long::sum));
            victim[0] = running.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                    .orElse(null);
            return victim[0] != null;
        });
        int index = Integer.parseInt(victim[0].substring(victim[0].lastIndexOf('-') + 1));
        Set<String> onVictim = new HashSet<>();
        seen.forEach((id, r) -> {
            if (victim[0].equals(r.path("worker_id").asString()) && ACTIVE.contains(r.path("status").asString())) {
                onVictim.add(id);
            }
        });
        long killedAt = System.nanoTime();
        DockerClientFactory.instance().client()
                .killContainerCmd(fleet.workers.get(index - 1).getContainerId()).exec();
        log.info("killed {} holding {}", victim[0], onVictim);

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() -> {
            sample(ids, seen);
            return seen.values().stream().allMatch(r -> TERMINAL.contains(r.path("status").asString()));
        });
        log.info("every run terminal {} ms after the kill", (System.nanoTime() - killedAt) / 1_000_000);

        for (int i = 0; i < ids.size(); i++) {
            JsonNode run = seen.get(ids.get(i));
            assertThat(run.path("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
            JsonNode output = call("GET", "/v2/handles/" + handle + "/code-runs/" + ids.get(i) + "/output", null);
            assertThat(output.path("data").path("stdout").asString()).as("output of run %d", i)
                    .isEqualTo("ok-" + i + "\n");
            if (onVictim.contains(ids.get(i))) {
                assertThat(run.path("attempt").asInt()).as("re-attempted: " + run).isGreaterThan(1);
                assertThat(run.path("worker_id").asString()).isNotEqualTo(victim[0]);
            }
        }
        // A terminal run stays as it ended (no late event of the killed attempt overrides it).
        Map<String, JsonNode> again = new HashMap<>();
        sample(ids, again);
        again.forEach((id, r) -> assertThat(r.path("status").asString()).isEqualTo("SUCCEEDED"));
        again.forEach((id, r) -> assertThat(r.path("attempt").asInt()).isEqualTo(seen.get(id).path("attempt").asInt()));

        // No slot leaked: the handle's whole limit runs at once on the two workers left (2 x 2 slots). The probe runs
        // last far longer than it takes to start them all, so they overlap unless a slot is held by a run that ended.
        List<String> probe = new ArrayList<>();
        for (int i = 0; i < MAX_ACTIVE; i++) {
            probe.add(submit("sleep 120; echo probe-" + i));
        }
        Map<String, JsonNode> probeSeen = new HashMap<>();
        try {
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> {
                sample(probe, probeSeen);
                return probeSeen.values().stream().filter(r -> r.path("status").asString().equals("RUNNING")).count()
                        == MAX_ACTIVE;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the handle's " + MAX_ACTIVE + " slots never ran at once: "
                    + probeSeen.values().stream().map(r -> r.path("status").asString() + "@"
                            + r.path("worker_id").asString()).toList(), e);
        }
        for (String id : probe) {
            call("POST", "/v2/handles/" + handle + "/code-runs/" + id + "/cancel", null);
        }
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).until(() -> {
            sample(probe, probeSeen);
            return probeSeen.values().stream().allMatch(r -> r.path("status").asString().equals("CANCELLED"));
        });
    }

    /**
     * Reads each run and checks the bounds on what it sees at that moment: at most {@code MAX_ACTIVE} runs of the
     * handle active, at most {@code SLOTS} RUNNING on one worker.
     */
    private static void sample(List<String> ids, Map<String, JsonNode> into) throws Exception {
        Map<String, Integer> perWorker = new HashMap<>();
        int active = 0;
        for (String id : ids) {
            JsonNode run = call("GET", "/v2/handles/" + handle + "/code-runs/" + id, null).path("data");
            into.put(id, run);
            String status = run.path("status").asString();
            if (ACTIVE.contains(status)) {
                active++;
            }
            if (status.equals("RUNNING")) {
                perWorker.merge(run.path("worker_id").asString(), 1, Integer::sum);
            }
        }
        assertThat(active).as("runs of the handle active at once").isLessThanOrEqualTo(MAX_ACTIVE);
        perWorker.forEach((worker, n) -> assertThat(n).as("runs RUNNING on " + worker).isLessThanOrEqualTo(SLOTS));
    }

    private static String submit(String command) throws Exception {
        JsonNode answer = call("POST", "/v2/handles/" + handle + "/code-runs",
                json.writeValueAsString(Map.of("runtime_key", "busybox", "command", command, "max_attempts", 3)));
        String id = answer.path("data").path("id").asString();
        assertThat(id).as(answer.toString()).isNotBlank();
        return id;
    }

    private static JsonNode call(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(fleet.gatewayUrl() + path))
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30));
        if (body != null) {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return json.readTree(response.body());
    }

    /** Run and warm containers the workers left on the engine: the killed one's are never swept (no restart). */
    private static void removeRunContainers() {
        var docker = DockerClientFactory.instance().client();
        for (int i = 1; i <= WORKERS; i++) {
            var left = docker.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of("coderun.worker-id", fleet.workerId(i))).exec();
            if (!left.isEmpty()) {
                log.info("{} left {} containers on the engine; removing them", fleet.workerId(i), left.size());
            }
            left.forEach(c -> docker.removeContainerCmd(c.getId()).withForce(true).exec());
        }
    }
}

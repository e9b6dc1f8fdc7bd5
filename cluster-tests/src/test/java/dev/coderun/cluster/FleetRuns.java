package dev.coderun.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs of the cluster scenarios, submitted and read through the gateway's API with one token for several handles,
 * and a {@link Watch} that reads them in the background and records every moment the fleet's capacity was exceeded.
 */
final class FleetRuns {

    private static final Logger log = LoggerFactory.getLogger(FleetRuns.class);
    static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "ERRORED", "REJECTED");
    static final Set<String> ACTIVE = Set.of("STARTING", "RUNNING");

    private final Fleet fleet;
    private final String token;
    private final HttpClient http = HttpClient.newHttpClient();
    private final JsonMapper json = JsonMapper.builder().build();
    /** Run id → handle, for every run submitted. */
    private final Map<String, String> handleOf = new ConcurrentHashMap<>();

    FleetRuns(Fleet fleet, String... handles) throws Exception {
        this.fleet = fleet;
        this.token = fleet.token(handles);
    }

    /** Registers and validates the base busybox runtime on {@code handle}. */
    void registerBusybox(String handle) throws Exception {
        Map<String, String> base = Fleet.baseImages();
        JsonNode put = call("PUT", "/v2/handles/" + handle + "/code-runtimes/busybox", """
                {"display_name":"busybox","image":{"uri":"%s","digest":"%s"},
                 "resources":{"cpu_cores":1,"memory_mb":64,"pids_limit":32},"sandbox":{"timeout_seconds":180}}"""
                .formatted(base.get("BUSYBOX_IMAGE"), base.get("BUSYBOX_DIGEST")));
        assertThat(put.path("data").path("key").asString()).as(put.toString()).isEqualTo("busybox");
        JsonNode valid = call("POST", "/v2/handles/" + handle + "/code-runtimes/busybox/validate-image", null);
        assertThat(valid.path("data").path("validation").path("status").asString()).as(valid.toString())
                .isEqualTo("VALID");
    }

    /** Submits {@code command} (up to 3 attempts) and returns the run's id; fails unless the gateway accepts it. */
    String submit(String handle, String command) throws Exception {
        return trySubmit(handle, command).orElseThrow(() -> new AssertionError("refused: " + command));
    }

    /**
     * Submits {@code command}; empty when the gateway refused it with a 503 (it could not hand the run to Kafka) or
     * answered 504 (Kafka did not confirm it in time: it may or may not land, so nothing is expected of it), which is
     * logged. Any other answer without a run id fails.
     */
    Optional<String> trySubmit(String handle, String command) throws Exception {
        HttpResponse<String> response = send("POST", "/v2/handles/" + handle + "/code-runs",
                json.writeValueAsString(Map.of("runtime_key", "busybox", "command", command, "max_attempts", 3)));
        if (response.statusCode() == 503 || response.statusCode() == 504) {
            log.warn("submit of {} refused: {}", command, response.body());
            return Optional.empty();
        }
        JsonNode answer = json.readTree(response.body());
        String id = answer.path("data").path("id").asString();
        assertThat(id).as(response.statusCode() + " " + answer).isNotBlank();
        handleOf.put(id, handle);
        return Optional.of(id);
    }

    JsonNode read(String id) throws Exception {
        return call("GET", "/v2/handles/" + handleOf.get(id) + "/code-runs/" + id, null).path("data");
    }

    String stdout(String id) throws Exception {
        return call("GET", "/v2/handles/" + handleOf.get(id) + "/code-runs/" + id + "/output", null)
                .path("data").path("stdout").asString();
    }

    void cancel(String id) throws Exception {
        call("POST", "/v2/handles/" + handleOf.get(id) + "/code-runs/" + id + "/cancel", null);
    }

    /**
     * Checks what a run's record says once it ended: SUCCEEDED with exactly {@code stdout}, and exactly one terminal
     * entry in its history (it ended once; no late event of an earlier attempt ended it again).
     */
    void assertSucceededOnce(String id, String stdout) throws Exception {
        JsonNode run = read(id);
        assertThat(run.path("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
        assertThat(stdout(id)).as("output of " + id).isEqualTo(stdout);
        List<String> ends = new ArrayList<>();
        run.path("transitions").forEach(t -> {
            if (TERMINAL.contains(t.path("status").asString())) {
                ends.add(t.toString());
            }
        });
        assertThat(ends).as("terminal entries of " + run).hasSize(1);
    }

    private JsonNode call(String method, String path, String body) throws Exception {
        HttpResponse<String> response = send(method, path, body);
        if (response.statusCode() >= 500) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        return json.readTree(response.body());
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(fleet.gatewayUrl() + path))
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30));
        if (body != null) {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Checks the capacity bounds over the whole life of {@code ids} from their histories: at most
     * {@code maxActivePerHandle} runs of one handle between their first STARTING (or RUNNING) and their end (the
     * scheduler holds the handle's slot from dispatch to the end, through a re-attempt), and at most
     * {@code slotsPerWorker} attempts RUNNING on one worker (from RUNNING to the attempt's next entry). Every time is
     * the one its event carries, all from the one host clock, so this covers every instant, not samples. (Reading
     * the runs one by one cannot: a run can end and the next start on its slot between two reads of one pass.)
     *
     * @return the largest number of runs of one handle active, and of attempts running on one worker, at once
     */
    int[] assertCapacity(Collection<String> ids, int maxActivePerHandle, int slotsPerWorker) throws Exception {
        Map<String, List<long[]>> perHandle = new HashMap<>();
        Map<String, List<long[]>> perWorker = new HashMap<>();
        Map<String, List<String>> histories = new HashMap<>();
        for (String id : ids) {
            JsonNode run = read(id);
            Long firstActive = null;
            Long end = null;
            String runningOn = null;
            long runningSince = 0;
            for (JsonNode t : run.path("transitions")) {
                String status = t.path("status").asString();
                Instant instant = Instant.parse(t.path("at").asString());
                long at = instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
                if (runningOn != null) {
                    perWorker.computeIfAbsent(runningOn, w -> new ArrayList<>()).add(new long[] {runningSince, at});
                    runningOn = null;
                }
                if (ACTIVE.contains(status) && firstActive == null) {
                    firstActive = at;
                }
                if (status.equals("RUNNING")) {
                    runningOn = t.path("worker_id").asString();
                    runningSince = at;
                    histories.computeIfAbsent(runningOn, w -> new ArrayList<>())
                            .add(id + " " + run.path("transitions"));
                }
                if (TERMINAL.contains(status)) {
                    end = at;
                }
            }
            if (runningOn != null) {
                perWorker.computeIfAbsent(runningOn, w -> new ArrayList<>())
                        .add(new long[] {runningSince, Long.MAX_VALUE});
            }
            if (firstActive != null) {
                perHandle.computeIfAbsent(run.path("handle").asString(), h -> new ArrayList<>())
                        .add(new long[] {firstActive, end != null ? end : Long.MAX_VALUE});
            }
        }
        int handlePeak = 0;
        for (var e : perHandle.entrySet()) {
            int peak = peak(e.getValue());
            assertThat(peak).as("runs of handle " + e.getKey() + " active at once").isLessThanOrEqualTo(
                    maxActivePerHandle);
            handlePeak = Math.max(handlePeak, peak);
        }
        int workerPeak = 0;
        for (var e : perWorker.entrySet()) {
            int peak = peak(e.getValue());
            if (peak > slotsPerWorker) {
                log.warn("more than {} attempts RUNNING on {} at once; the histories of its runs: {}", slotsPerWorker,
                        e.getKey(), String.join("\n", histories.get(e.getKey())));
            }
            assertThat(peak).as("attempts RUNNING on " + e.getKey() + " at once").isLessThanOrEqualTo(slotsPerWorker);
            workerPeak = Math.max(workerPeak, peak);
        }
        return new int[] {handlePeak, workerPeak};
    }

    /** The most intervals [from, to) open at one instant; one that ends where another starts does not overlap it. */
    private static int peak(List<long[]> intervals) {
        List<long[]> edges = new ArrayList<>();
        for (long[] i : intervals) {
            edges.add(new long[] {i[0], 1});
            edges.add(new long[] {i[1], -1});
        }
        edges.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        int open = 0;
        int peak = 0;
        for (long[] edge : edges) {
            open += (int) edge[1];
            peak = Math.max(peak, open);
        }
        return peak;
    }

    /** Starts reading the runs given to it (and added later) every 300 ms. */
    Watch watch() {
        return new Watch();
    }

    /**
     * Reads its runs one after the other, over and over, on a thread of its own, and keeps the latest record of
     * each, for the scenarios to wait on. {@link #close()} fails when a read failed (the gateway answered 5xx or not
     * at all).
     */
    final class Watch implements AutoCloseable {

        private final List<String> ids = new CopyOnWriteArrayList<>();
        private final Map<String, JsonNode> latest = new ConcurrentHashMap<>();
        private final List<String> failures = new CopyOnWriteArrayList<>();
        private final ScheduledExecutorService reader = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("run-watch").daemon().factory());
        private volatile int passes;

        private Watch() {
            reader.scheduleWithFixedDelay(this::pass, 0, 300, TimeUnit.MILLISECONDS);
        }

        void add(Collection<String> more) {
            ids.addAll(more);
        }

        /** Whether every run of {@code of} was last read in a terminal status. */
        boolean allTerminal(Collection<String> of) {
            return of.stream().allMatch(id -> TERMINAL.contains(status(id)));
        }

        /** The status the run was last read in; empty when it was not read yet. */
        String status(String id) {
            JsonNode run = latest.get(id);
            return run == null ? "" : run.path("status").asString();
        }

        int attempt(String id) {
            JsonNode run = latest.get(id);
            return run == null ? 0 : run.path("attempt").asInt();
        }

        String workerId(String id) {
            JsonNode run = latest.get(id);
            return run == null ? "" : run.path("worker_id").asString();
        }

        /** The runs last read in {@code status}, on {@code workerId} unless it is null. */
        List<String> withStatus(String status, String workerId) {
            return latest.entrySet().stream()
                    .filter(e -> e.getValue().path("status").asString().equals(status))
                    .filter(e -> workerId == null || workerId.equals(e.getValue().path("worker_id").asString()))
                    .map(Map.Entry::getKey).toList();
        }

        /** Reads every run not yet read in a terminal status (a terminal record no longer changes). */
        private void pass() {
            for (String id : ids) {
                if (TERMINAL.contains(status(id))) {
                    continue;
                }
                try {
                    latest.put(id, read(id));
                } catch (Exception e) {
                    failures.add("reading " + id + " failed: " + e);
                }
            }
            passes++;
        }

        @Override
        public void close() throws InterruptedException {
            reader.shutdown();
            reader.awaitTermination(1, TimeUnit.MINUTES);
            log.info("run watch: {} passes over {} runs", passes, ids.size());
            assertThat(failures).as("reads of the runs").isEmpty();
        }
    }
}

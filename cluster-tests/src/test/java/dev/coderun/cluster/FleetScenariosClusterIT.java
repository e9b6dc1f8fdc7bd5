package dev.coderun.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.KafkaMessageDeserializer;
import dev.coderun.events.Message;
import dev.coderun.events.RunFinished;
import dev.coderun.events.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

/**
 * The fleet scenarios of issue 10 on one started fleet (3 brokers, scheduler, gateway, 3 workers × 2 slots, two
 * handles with 4 active runs each, so both the handle limit and the workers' slots bind): scaling from 1 to 3 workers,
 * a worker killed mid-batch, a worker cut off from Kafka and reconnected, a rolling restart of every worker, a broker
 * killed under load. Each scenario first starts the workers it needs (so one can run alone, by
 * {@code -Dit.test=FleetScenariosClusterIT#method}), ends with every run SUCCEEDED exactly once with its own output,
 * checks the capacity bounds over the runs' whole histories and, except scaling, that the fleet's whole capacity then
 * runs at once (no slot leaked). The broker scenario leaves a broker down, so it comes last. Runs are read through
 * the gateway's API. Log lines starting with {@code FIGURE} carry the measured figures.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetScenariosClusterIT {

    private static final Logger log = LoggerFactory.getLogger(FleetScenariosClusterIT.class);
    private static final int SLOTS = 2;
    private static final int WORKERS = 3;
    private static final int MAX_ACTIVE = 4;
    /** docker stop's wait before SIGKILL: above the worker's 30 s shutdown grace and its 30 s abort bound. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(90);
    /** Runs per batch of the scaling scenario; {@code -Dcoderun.cluster.scaling-runs=48} for steadier figures. */
    private static final int SCALING_RUNS = Integer.getInteger("coderun.cluster.scaling-runs", 12);
    /** A run's shell in {@code docker top}: {@code /bin/sh -c sleep 10; echo ok-N}. */
    private static final Pattern RUN_COMMAND = Pattern.compile("echo (ok-\\d+)$");

    private static Fleet fleet;
    private static FleetRuns runs;
    private static String handleA;
    private static String handleB;
    /** Numbers every submitted run's expected output ({@code ok-N}) across the scenarios. */
    private static final AtomicInteger serial = new AtomicInteger();

    @BeforeAll
    static void startFleet() throws Exception {
        long t0 = System.nanoTime();
        fleet = new Fleet(SLOTS);
        fleet.start(WORKERS, MAX_ACTIVE);
        log.info("FIGURE fleet up in {} ms (3 brokers, scheduler, gateway, {} workers)", millisSince(t0), WORKERS);
        handleA = fleet.tag + "a";
        handleB = fleet.tag + "b";
        runs = new FleetRuns(fleet, handleA, handleB);
        runs.registerBusybox(handleA);
        runs.registerBusybox(handleB);
    }

    @AfterAll
    static void stopFleet() {
        if (fleet != null) {
            fleet.close();
            removeRunContainers();
        }
    }

    @Test
    @Order(1)
    void scalingFromOneToThreeWorkersRaisesThroughput() throws Exception {
        for (int i = 2; i <= WORKERS; i++) {
            if (fleet.workerUp(i)) {
                fleet.stopWorker(i, STOP_TIMEOUT);
            }
        }
        startMissingWorkers(1);
        Map<String, String> expected = new HashMap<>();
        double[] perSecond = new double[WORKERS + 1];
        Duration perBatch = Duration.ofMinutes(1).plusSeconds(10L * SCALING_RUNS);
        try (FleetRuns.Watch watch = runs.watch()) {
            for (int n = 1; n <= WORKERS; n++) {
                if (n > 1) {
                    long started = System.nanoTime();
                    fleet.startWorker(n);
                    log.info("FIGURE worker {} started in {} ms", n, millisSince(started));
                }
                Map<String, String> batch = submitBatch(SCALING_RUNS, "sleep 4");
                expected.putAll(batch);
                watch.add(batch.keySet());
                await().atMost(perBatch).pollInterval(Duration.ofMillis(200))
                        .until(() -> watch.allTerminal(batch.keySet()));
                // From the records' own times: the first run's creation to the last one's end.
                Instant first = Instant.MAX;
                Instant last = Instant.MIN;
                for (String id : batch.keySet()) {
                    var run = runs.read(id);
                    first = min(first, Instant.parse(run.path("created_at").asString()));
                    last = max(last, Instant.parse(run.path("finished_at").asString()));
                }
                long ms = Duration.between(first, last).toMillis();
                perSecond[n] = batch.size() * 1000.0 / ms;
                log.info("FIGURE scaling: {} worker(s): {} runs of `sleep 4` in {} ms = {} runs/s", n, batch.size(),
                        ms, String.format("%.3f", perSecond[n]));
                Map<Integer, Integer> perWorker = new java.util.TreeMap<>();
                for (String id : batch.keySet()) {
                    int worker = workerIndex(watch.workerId(id));
                    assertThat(worker).as("worker of " + id).isBetween(1, n);
                    perWorker.merge(worker, 1, Integer::sum);
                }
                log.info("FIGURE scaling: {} worker(s): runs per worker {}", n, perWorker);
            }
        }
        log.info("FIGURE throughput runs/s with 1 / 2 / 3 workers: {} / {} / {}", String.format("%.3f", perSecond[1]),
                String.format("%.3f", perSecond[2]), String.format("%.3f", perSecond[3]));
        assertEndedOnce(expected);
    }

    @Test
    @Order(2)
    void aWorkerKilledMidBatchLosesNoRunAndLeaksNoSlot() throws Exception {
        startMissingWorkers(WORKERS);
        Map<String, String> expected = submitBatch(12, "sleep 12");
        String victim;
        List<String> onVictim = new ArrayList<>();
        long killedAt;
        try (FleetRuns.Watch watch = runs.watch()) {
            watch.add(expected.keySet());
            // The worker holding the most runs once one holds a RUNNING one. A run takes 12 s, far longer than a pass
            // of the watch: the runs seen RUNNING there are still running at the kill.
            String[] busiest = new String[1];
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
                Map<String, Long> running = new HashMap<>();
                watch.withStatus("RUNNING", null).forEach(id -> running.merge(watch.workerId(id), 1L, Long::sum));
                busiest[0] = running.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                        .orElse(null);
                return busiest[0] != null;
            });
            victim = busiest[0];
            for (String id : expected.keySet()) {
                if (victim.equals(watch.workerId(id)) && FleetRuns.ACTIVE.contains(watch.status(id))) {
                    onVictim.add(id);
                }
            }
            killedAt = System.nanoTime();
            DockerClientFactory.instance().client()
                    .killContainerCmd(fleet.workers.get(workerIndex(victim) - 1).getContainerId()).exec();
            log.info("killed {} holding {}", victim, onVictim);
            long[] detected = {-1};
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250)).until(() -> {
                if (detected[0] < 0 && onVictim.stream().anyMatch(id -> watch.attempt(id) > 1)) {
                    detected[0] = millisSince(killedAt);
                }
                return watch.allTerminal(onVictim);
            });
            log.info("FIGURE killed worker: its {} runs given up (first re-queued) {} ms after the kill, all ended "
                    + "(re-run) {} ms after the kill", onVictim.size(), detected[0], millisSince(killedAt));
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250))
                    .until(() -> watch.allTerminal(expected.keySet()));
        }
        log.info("FIGURE killed worker: every run of the batch ended {} ms after the kill", millisSince(killedAt));
        assertEndedOnce(expected);
        for (String id : onVictim) {
            var run = runs.read(id);
            assertThat(run.path("attempt").asInt()).as("re-attempted: " + run).isGreaterThan(1);
            assertThat(run.path("worker_id").asString()).isNotEqualTo(victim);
        }
        // A new container with the killed worker's id sweeps the run containers the killed one left running.
        startMissingWorkers(WORKERS);
        assertNoSlotLeaked();
    }

    @Test
    @Order(3)
    void aWorkerCutOffFromKafkaIsReplacedAndItsLateEventsChangeNothing() throws Exception {
        startMissingWorkers(WORKERS);
        // Half the runs end within the cut (their RunFinished waits in the cut-off worker's producer: a late event
        // once it is back), half outlast the worker's fence-after (12 s) by far, so the worker has to kill them
        // itself before their re-attempts start (or the overlap check below sees both run).
        Map<String, String> expected = submitBatch(12, i -> i % 4 < 2 ? "sleep 8" : "sleep 40");
        Set<String> short8 = new HashSet<>();
        List<String> ids = new ArrayList<>(expected.keySet());
        for (String id : ids) {
            if (runs.read(id).path("command").asString().startsWith("sleep 8")) {
                short8.add(id);
            }
        }
        String victim;
        Map<String, Integer> onVictim = new HashMap<>();
        List<String> overlaps = new ArrayList<>();
        long cutAt;
        long detectedMs;
        long fencedMs = -1;
        long rerunMs;
        int index;
        try (FleetRuns.Watch watch = runs.watch()) {
            watch.add(expected.keySet());
            // A worker running a short and a long run, to see both paths; failing that within a minute, any worker
            // running two.
            String[] busiest = new String[1];
            try {
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                        .until(() -> (busiest[0] = workerRunning(watch, short8, true)) != null);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                        .until(() -> (busiest[0] = workerRunning(watch, short8, false)) != null);
            }
            victim = busiest[0];
            index = workerIndex(victim);
            for (String id : expected.keySet()) {
                if (victim.equals(watch.workerId(id)) && FleetRuns.ACTIVE.contains(watch.status(id))) {
                    onVictim.put(id, watch.attempt(id));
                }
            }
            cutAt = System.nanoTime();
            fleet.disconnectWorker(index);
            boolean reconnected = false;
            try {
                // The runs it took in the moment before the cut, after the watch's last read: their claims are in
                // Kafka (a worker runs nothing it has not claimed), so the records show them once the projection
                // caught up. Reconnecting before they too were given up would let the worker take new runs while
                // the records still show these on it.
                // Read until the records of what it holds stayed the same for two seconds.
                AtomicReference<Map<String, Integer>> held = new AtomicReference<>(Map.of());
                await().pollInterval(Duration.ofMillis(250)).during(Duration.ofSeconds(2))
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> {
                            Map<String, Integer> now = activeOn(victim, expected.keySet());
                            return now.equals(held.getAndSet(now));
                        });
                held.get().forEach(onVictim::putIfAbsent);
                log.info("cut {} off the fleet network; it holds {}", victim, onVictim);

                // Reconnect once every run it held was given up and re-attempted and their processes are gone (it
                // has no broker to hear a StopRun from: only its own fence kills them). Meanwhile: is a re-attempt
                // ever RUNNING while the cut-off attempt's process runs?
                long[] fenced = {-1};
                long[] detected = {-1};
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250)).until(() -> {
                    Set<String> running = runsProcessing(victim, expected);
                    running.retainAll(onVictim.keySet());
                    if (running.isEmpty() && fenced[0] < 0) {
                        fenced[0] = millisSince(cutAt);
                    }
                    boolean allSettled = true;
                    for (var e : onVictim.entrySet()) {
                        boolean requeued = watch.attempt(e.getKey()) > e.getValue();
                        if (requeued && detected[0] < 0) {
                            detected[0] = millisSince(cutAt);
                        }
                        if (requeued && watch.status(e.getKey()).equals("RUNNING") && running.contains(e.getKey())) {
                            overlaps.add(e.getKey());
                        }
                        // A run can also have ended, reported, in the moment before the cut.
                        allSettled &= requeued || FleetRuns.TERMINAL.contains(watch.status(e.getKey()));
                    }
                    return allSettled && running.isEmpty();
                });
                fencedMs = fenced[0];
                detectedMs = detected[0];
                fleet.reconnectWorker(index);
                reconnected = true;
                log.info("reconnected {} {} ms after the cut", victim, millisSince(cutAt));
            } finally {
                if (!reconnected) {
                    // The scenario failed with the worker cut off: back on the network, so the next ones have it.
                    fleet.reconnectWorker(index);
                }
            }
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250))
                    .until(() -> watch.allTerminal(onVictim.keySet()));
            rerunMs = millisSince(cutAt);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250))
                    .until(() -> watch.allTerminal(expected.keySet()));
        }
        log.info("FIGURE cut-off worker: its {} runs given up (first re-queued) {} ms after the cut, its containers "
                + "gone (self-fenced) {} ms after the cut, all its runs ended (re-run) {} ms after the cut",
                onVictim.size(), detectedMs, fencedMs, rerunMs);
        assertThat(overlaps).as("re-attempts RUNNING while the cut-off attempt's process ran").isEmpty();
        assertEndedOnce(expected);
        List<String> endedBeforeTheCut = new ArrayList<>();
        for (var e : onVictim.entrySet()) {
            var run = runs.read(e.getKey());
            if (run.path("attempt").asInt() == e.getValue()) {
                assertThat(run.path("worker_id").asString()).as(run.toString()).isEqualTo(victim);
                endedBeforeTheCut.add(e.getKey());
            }
        }
        log.info("runs the cut-off worker held: {}; of them ended before the cut took effect: {}", onVictim,
                endedBeforeTheCut);
        // Its reports about the attempts it lost, published once it was back (or never): they must not have moved
        // the records, which assertEndedOnce just read as the re-attempts' ends.
        Map<String, Integer> late = lateFinishes(victim, onVictim);
        log.info("FIGURE cut-off worker: {} RunFinished of its given-up attempts reached Kafka: {}", late.size(), late);
        assertNoSlotLeaked();
    }

    @Test
    @Order(4)
    void aRollingRestartOfEveryWorkerEndsEveryRunOnce() throws Exception {
        startMissingWorkers(WORKERS);
        Map<String, String> expected = new HashMap<>();
        Map<String, String> heldByStopped = new HashMap<>();
        long t0 = System.nanoTime();
        try (FleetRuns.Watch watch = runs.watch()) {
            for (int i = 1; i <= WORKERS; i++) {
                Map<String, String> batch = submitBatch(8, "sleep 8");
                expected.putAll(batch);
                watch.add(batch.keySet());
                String id = fleet.workerId(i);
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                        .until(() -> !watch.withStatus("RUNNING", id).isEmpty());
                watch.withStatus("RUNNING", id).forEach(run -> heldByStopped.put(run, id));
                long stop = System.nanoTime();
                fleet.stopWorker(i, STOP_TIMEOUT);
                long stopped = millisSince(stop);
                long start = System.nanoTime();
                fleet.startWorker(i);
                log.info("FIGURE rolling restart: {} stopped (SIGTERM, runs finish in the grace) in {} ms, started "
                        + "in {} ms", id, stopped, millisSince(start));
            }
            await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(250))
                    .until(() -> watch.allTerminal(expected.keySet()));
        }
        assertEndedOnce(expected);
        int finishedInGrace = 0;
        for (var e : heldByStopped.entrySet()) {
            var run = runs.read(e.getKey());
            if (run.path("attempt").asInt() == 1 && run.path("worker_id").asString().equals(e.getValue())) {
                finishedInGrace++;
            }
        }
        log.info("FIGURE rolling restart of {} workers with {} runs: every run ended {} ms after the first submit; "
                + "{} runs were RUNNING on a worker when it was stopped, {} of them finished there in the grace, the "
                + "others re-attempted", WORKERS, expected.size(), millisSince(t0), heldByStopped.size(),
                finishedInGrace);
        assertNoSlotLeaked();
    }

    @Test
    @Order(5)
    void aBrokerKilledUnderLoadLosesNoAcceptedRun() throws Exception {
        startMissingWorkers(WORKERS);
        Map<String, String> expected = submitBatch(12, "sleep 6");
        long killedNanos;
        Instant killedAt;
        int refused = 0;
        try (FleetRuns.Watch watch = runs.watch()) {
            watch.add(expected.keySet());
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                    .until(() -> watch.withStatus("RUNNING", null).size() >= SLOTS * 2);
            killedNanos = System.nanoTime();
            killedAt = Instant.now();
            fleet.killBroker(2);
            log.info("killed broker-2 with {} runs RUNNING", watch.withStatus("RUNNING", null).size());
            // Runs submitted while the cluster is down a broker: each one the gateway accepted must end.
            for (int i = 0; i < 8; i++) {
                int n = serial.incrementAndGet();
                Optional<String> id = runs.trySubmit(i % 2 == 0 ? handleA : handleB, "sleep 6; echo ok-" + n);
                if (id.isPresent()) {
                    expected.put(id.get(), "ok-" + n + "\n");
                    watch.add(List.of(id.get()));
                } else {
                    refused++;
                }
            }
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(250))
                    .until(() -> watch.allTerminal(expected.keySet()));
        }
        log.info("FIGURE broker kill: every run ended {} ms after the kill; {} of 8 submits after the kill refused",
                millisSince(killedNanos), refused);
        List<Long> ends = new ArrayList<>();
        for (String id : expected.keySet()) {
            ends.add(Duration.between(killedAt, Instant.parse(runs.read(id).path("finished_at").asString()))
                    .toMillis());
        }
        ends.sort(null);
        log.info("FIGURE broker kill: run end times (ms after the kill) {}", ends);
        assertEndedOnce(expected);
        assertNoSlotLeaked();
    }

    /** A worker running {@code SLOTS} runs, one of {@code short8} and one not if {@code mixed}; else null. */
    /** The runs of {@code ids} the records show STARTING or RUNNING on {@code workerId}, with their attempt. */
    private static Map<String, Integer> activeOn(String workerId, Set<String> ids) throws Exception {
        Map<String, Integer> active = new HashMap<>();
        for (String id : ids) {
            var run = runs.read(id);
            if (workerId.equals(run.path("worker_id").asString())
                    && FleetRuns.ACTIVE.contains(run.path("status").asString())) {
                active.put(id, run.path("attempt").asInt());
            }
        }
        return active;
    }

    private static String workerRunning(FleetRuns.Watch watch, Set<String> short8, boolean mixed) {
        Map<String, List<String>> running = new HashMap<>();
        watch.withStatus("RUNNING", null)
                .forEach(id -> running.computeIfAbsent(watch.workerId(id), w -> new ArrayList<>()).add(id));
        return running.entrySet().stream()
                .filter(e -> e.getValue().size() >= SLOTS)
                .filter(e -> !mixed || (e.getValue().stream().anyMatch(short8::contains)
                        && !short8.containsAll(e.getValue())))
                .map(Map.Entry::getKey).findFirst().orElse(null);
    }

    /** Submits {@code n} runs of {@code command; echo ok-N}, alternately on the two handles; id → expected output. */
    private static Map<String, String> submitBatch(int n, String command) throws Exception {
        return submitBatch(n, i -> command);
    }

    /** As {@link #submitBatch(int, String)}, run {@code i}'s command being {@code command.apply(i)}. */
    private static Map<String, String> submitBatch(int n, IntFunction<String> command) throws Exception {
        Map<String, String> batch = new HashMap<>();
        for (int i = 0; i < n; i++) {
            int k = serial.incrementAndGet();
            batch.put(runs.submit(i % 2 == 0 ? handleA : handleB, command.apply(i) + "; echo ok-" + k),
                    "ok-" + k + "\n");
        }
        return batch;
    }

    /** Every run SUCCEEDED once with its own output (read again after the watch saw it end); bounds over histories. */
    private static void assertEndedOnce(Map<String, String> expected) throws Exception {
        for (var e : expected.entrySet()) {
            runs.assertSucceededOnce(e.getKey(), e.getValue());
        }
        int[] peaks = runs.assertCapacity(expected.keySet(), MAX_ACTIVE, SLOTS);
        log.info("peaks over {} runs: {} of one handle active, {} RUNNING on one worker", expected.size(), peaks[0],
                peaks[1]);
    }

    /**
     * No slot leaked, in the scheduler or on a worker: the fleet's whole capacity (3 workers × 2 slots) runs at once,
     * 4 runs of one handle (its limit) and 2 of the other. The runs last far longer than it takes to start them all,
     * so they overlap unless a slot is held by a run that ended. Then they are cancelled.
     */
    private static void assertNoSlotLeaked() throws Exception {
        List<String> probe = new ArrayList<>();
        for (int i = 0; i < WORKERS * SLOTS; i++) {
            probe.add(runs.submit(i < MAX_ACTIVE ? handleA : handleB, "sleep 170; echo probe-" + i));
        }
        try (FleetRuns.Watch watch = runs.watch()) {
            watch.add(probe);
            try {
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250))
                        .until(() -> probe.stream().allMatch(id -> watch.status(id).equals("RUNNING")));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("the fleet's " + probe.size() + " slots never ran at once: "
                        + probe.stream().map(id -> watch.status(id) + "@" + watch.workerId(id)).toList(), e);
            }
            for (String id : probe) {
                runs.cancel(id);
            }
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(250))
                    .until(() -> probe.stream().allMatch(id -> watch.status(id).equals("CANCELLED")));
        }
        runs.assertCapacity(probe, MAX_ACTIVE, SLOTS);
    }

    private static void startMissingWorkers(int count) {
        for (int i = 1; i <= count; i++) {
            if (!fleet.workerUp(i)) {
                long t0 = System.nanoTime();
                fleet.startWorker(i);
                log.info("FIGURE worker {} started in {} ms", i, millisSince(t0));
            }
        }
    }

    /**
     * The {@code RunFinished} events {@code workerId} published for attempts of {@code attempts}' runs no later than
     * the attempt it held (the given-up ones), read from the whole events topic: run id → attempt.
     */
    private static Map<String, Integer> lateFinishes(String workerId, Map<String, Integer> attempts) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, fleet.hostBootstrap());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, Integer> late = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new KafkaMessageDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.EVENTS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (var record : consumer.poll(Duration.ofSeconds(1))) {
                    Message message = record.value();
                    if (message instanceof RunFinished f && workerId.equals(f.workerId())
                            && attempts.containsKey(f.runId()) && f.attempt() <= attempts.get(f.runId())) {
                        late.put(f.runId(), f.attempt());
                    }
                }
            }
        }
        return late;
    }

    /**
     * The runs (of {@code expected}: id → {@code ok-N}) whose command has a process in a container of
     * {@code workerId}, cold or warm: a warm container carries no run id label, so the processes are what tells.
     */
    private static Set<String> runsProcessing(String workerId, Map<String, String> expected) {
        Map<String, String> byOutput = new HashMap<>();
        expected.forEach((id, out) -> byOutput.put(out.strip(), id));
        var docker = DockerClientFactory.instance().client();
        Set<String> found = new HashSet<>();
        for (var container : docker.listContainersCmd().withLabelFilter(Map.of("coderun.worker-id", workerId))
                .exec()) {
            String[][] processes;
            try {
                processes = docker.topContainerCmd(container.getId()).exec().getProcesses();
            } catch (RuntimeException ended) {
                continue;
            }
            if (processes == null) {
                // The container's process ended between the listing and the top (a run's container ends with it).
                continue;
            }
            for (String[] process : processes) {
                Matcher m = RUN_COMMAND.matcher(String.join(" ", process));
                if (m.find() && byOutput.containsKey(m.group(1))) {
                    found.add(byOutput.get(m.group(1)));
                }
            }
        }
        return found;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static int workerIndex(String workerId) {
        return Integer.parseInt(workerId.substring(workerId.lastIndexOf('-') + 1));
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    /** Run and warm containers the workers left on the engine (a cut-off or stopped worker's, for one). */
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

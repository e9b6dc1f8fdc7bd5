package dev.coderun.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code bin/coderun bench}: measures the running stack against bare {@code docker run --rm} of the same image with the
 * same sandbox flags at the same concurrency, and prints a table (also written as JSON). Phases, in order: a warm-up
 * of {@code --warmup} runs at the bench's concurrency (its throughput and CPU per run are reported, so a fresh stack's
 * JIT compilation shows there rather than in the measured phases), sequential {@code echo hi} (latency), concurrent
 * runs (throughput, latency percentiles, and CPU per run of the machine and of each service), accepting single and
 * batch submissions while the worker runs what they accept, the projector's rate into PostgreSQL while it catches up
 * with them, and accepting again with every worker drained (no container starts while submissions are timed). Each
 * accept phase starts once the machine is quiet, or 10 s later ({@link #settle()}). Runs left queued by the accept
 * phases are cancelled.
 */
public final class Bench {

    /** The machine's busy cores under which {@link #settle()} calls it quiet: the idle stack uses about 0.13. */
    static final double QUIET_CORES = 0.35;

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration RUN_BOUND = Duration.ofMinutes(2);
    private static final String ECHO = "echo hi";

    private final Options o;
    private final HttpClient http;
    private final EventTap tap;
    private final Map<String, Object> json = new LinkedHashMap<>();
    private final List<String[]> rows = new ArrayList<>();

    private Bench(Options options, EventTap tap) {
        this.o = options;
        this.tap = tap;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        if (Options.wantsHelp(args)) {
            System.out.print(Options.USAGE);
            return;
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.print(Options.USAGE);
            System.exit(2);
            return;
        }
        try (EventTap tap = new EventTap(options.kafka())) {
            new Bench(options, tap).run();
        }
        System.exit(0);
    }

    private void run() throws Exception {
        json.put("at", Instant.now().toString());
        json.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(), "label", o.label()));
        json.put("settings", Map.of("warmup", o.warmup(), "runs", o.runs(), "concurrency", o.concurrency(),
                "sequential", o.sequential(), "accept_clients", o.acceptClients(), "batch_clients", o.batchClients(),
                "image", o.image() + "@" + o.digest()));
        JsonNode runtime = ensureRuntime(o.handle());
        List<String> docker = dockerCommand(runtime);

        if (o.warmup() > 0) {
            log("warm-up: %d runs at concurrency %d (coderun only)", o.warmup(), o.concurrency());
            CpuTicks before = CpuTicks.now(o.pids());
            Phase warmup = coderun(o.warmup(), o.concurrency());
            Map<String, Double> cpu = CpuTicks.now(o.pids()).perRunSince(before, o.warmup());
            row("warm-up, " + o.warmup() + " runs at " + o.concurrency() + ": throughput, CPU per run (machine)",
                    String.format("%.2f runs/s, %.0f ms", warmup.runsPerSecond(), cpu.get("machine")), "-", "");
            json.put("warmup", Map.of("runs", o.warmup(), "runs_per_second", Stats.round(warmup.runsPerSecond()),
                    "cpu_ms_per_run", roundAll(cpu)));
        }

        if (o.sequential() > 0) {
            log("sequential: %d x `echo hi`, coderun then docker run --rm", o.sequential());
            Phase seqCoderun = coderun(o.sequential(), 1);
            Phase seqDocker = docker(docker, o.sequential(), 1);
            double seqRatio = seqCoderun.terminal().p50() / seqDocker.terminal().p50();
            row("echo hi, submit -> terminal, p50 of " + o.sequential() + " sequential",
                    ms(seqCoderun.terminal().p50()), ms(seqDocker.terminal().p50()),
                    String.format("%.2fx", seqRatio));
            row("echo hi, submit -> first output byte, p50 of " + o.sequential() + " sequential",
                    ms(seqCoderun.firstOutput().p50()), ms(seqDocker.firstOutput().p50()),
                    String.format("%.2fx", seqCoderun.firstOutput().p50() / seqDocker.firstOutput().p50()));
            Map<String, Object> sequential = new LinkedHashMap<>();
            sequential.put("coderun", seqCoderun.toMap());
            sequential.put("docker", seqDocker.toMap());
            sequential.put("terminal_p50_ratio", Stats.round(seqRatio));
            json.put("sequential", sequential);
        }

        log("concurrent: %d runs at concurrency %d, coderun then docker run --rm", o.runs(), o.concurrency());
        CpuTicks beforeCoderun = CpuTicks.now(o.pids());
        Phase conCoderun = coderun(o.runs(), o.concurrency());
        CpuTicks afterCoderun = CpuTicks.now(o.pids());
        Phase conDocker = docker(docker, o.runs(), o.concurrency());
        Map<String, Double> coderunCpu = afterCoderun.perRunSince(beforeCoderun, o.runs());
        Map<String, Double> dockerCpu = CpuTicks.now(Map.of()).perRunSince(afterCoderun, o.runs());
        double throughputRatio = conCoderun.runsPerSecond() / conDocker.runsPerSecond();
        row("end-to-end throughput, " + o.runs() + " runs at " + o.concurrency(),
                String.format("%.2f runs/s", conCoderun.runsPerSecond()),
                String.format("%.2f runs/s", conDocker.runsPerSecond()), String.format("%.2f", throughputRatio));
        row("submit -> RUNNING p50/p95/p99 ms", conCoderun.running().brief(), "-", "");
        row("submit -> first output byte p50/p95/p99 ms", conCoderun.firstOutput().brief(),
                conDocker.firstOutput().brief(), "");
        row("submit -> terminal p50/p95/p99 ms", conCoderun.terminal().brief(), conDocker.terminal().brief(), "");
        row("submit -> dispatch (scheduler decision) p50/p95/p99 ms", conCoderun.dispatched().brief(), "-", "");
        row("dispatch hop (dispatch -> STARTING) p50/p95/p99 ms", conCoderun.dispatchHop().brief(), "-", "");
        row("  of which dispatch -> read by a read_committed reader", conCoderun.dispatchSeen().brief(), "-", "");
        row("STARTING -> RUNNING (container ready) p50/p95/p99 ms", conCoderun.startingToRunning().brief(), "-", "");
        row("CPU per run, whole machine (concurrent phase)", String.format("%.0f ms", coderunCpu.get("machine")),
                String.format("%.0f ms", dockerCpu.get("machine")),
                String.format("%.2fx", coderunCpu.get("machine") / dockerCpu.get("machine")));
        if (!o.pids().isEmpty()) {
            row("CPU per run by process " + String.join("/", o.pids().keySet()), String.join(" / ",
                    o.pids().keySet().stream().map(name -> String.format("%.1f", coderunCpu.get(name))).toList())
                    + " ms", "-", "");
        }
        if (coderunCpu.containsKey("engine") && dockerCpu.containsKey("engine")) {
            row("CPU per run, engine (dockerd, containerd, shims, runc; not the docker CLI)",
                    String.format("%.0f ms", coderunCpu.get("engine")),
                    String.format("%.0f ms", dockerCpu.get("engine")),
                    String.format("%.2fx", coderunCpu.get("engine") / dockerCpu.get("engine")));
        }
        json.put("cpu_ms_per_run", Map.of("coderun", roundAll(coderunCpu), "docker", roundAll(dockerCpu)));
        json.put("concurrent", Map.of("coderun", conCoderun.toMap(), "docker", conDocker.toMap(),
                "throughput_ratio", Stats.round(throughputRatio)));

        // --accept-requests 0 skips the accept phases (and the drained ones): the run phases alone, say to profile.
        if (o.acceptRequests() > 0) {
            ensureRuntime(o.acceptHandle());
            long transitionsBefore = projectedTransitions();
            Instant acceptStart = Instant.now();
            AcceptRound round = acceptRound("");
            long accepted = round.single().accepted() + (round.batch() == null ? 0 : round.batch().accepted());
            double projected = projectorRate(transitionsBefore, acceptStart, accepted);
            row("projector events/s into PostgreSQL (catching up " + accepted + " runs)",
                    String.format("%.0f/s", projected), "-", "");
            Map<String, Object> accept = new LinkedHashMap<>(round.toMap());
            accept.put("projector_events_per_second", Stats.round(projected));
            json.put("accept", accept);

            // Again with every worker drained: only the gateway, the scheduler, the projector, Kafka and PostgreSQL
            // work, so the rows show what accepting costs without the engine starting the accepted runs on the cores.
            List<String> drained = drainFleet();
            if (drained.isEmpty()) {
                row("accepted single submits / batches, fleet drained", "n/a (no admin token for the fleet routes)",
                        "-", "");
            } else {
                log("cancelled %d runs left queued; drained %s", cancelLeftovers(), drained);
                json.put("accept_fleet_drained", acceptRound(", fleet drained").toMap());
                log("cancelled %d runs left queued", cancelLeftovers());
                undrain(drained);
            }
        }

        Map<String, Object> rss = new LinkedHashMap<>();
        o.pids().forEach((service, pid) -> rss.put(service, rssMiB(pid)));
        row("RSS MiB " + String.join("/", rss.keySet()),
                String.join(" / ", rss.values().stream().map(String::valueOf).toList()), "-", "");
        json.put("rss_mib", rss);

        int cancelled = cancelLeftovers();
        log("cancelled %d runs left queued by the accept phases", cancelled);
        print();
        Files.createDirectories(o.out().toAbsolutePath().getParent());
        Files.writeString(o.out(), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
        log("wrote %s", o.out());
    }

    // ---- phases ---------------------------------------------------------------------------------------------------

    /** One phase's latencies (ms from the client's submit) and its throughput. */
    record Phase(Stats running, Stats firstOutput, Stats terminal, Stats dispatchHop, Stats dispatchSeen,
            Stats dispatched, Stats startingToRunning, double runsPerSecond, int failed) {
        Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("runs_per_second", Stats.round(runsPerSecond));
            map.put("failed", failed);
            map.put("submit_to_running", running.toMap());
            map.put("submit_to_first_output", firstOutput.toMap());
            map.put("submit_to_terminal", terminal.toMap());
            map.put("dispatch_hop", dispatchHop.toMap());
            map.put("dispatch_to_read_committed", dispatchSeen.toMap());
            map.put("submit_to_dispatch", dispatched.toMap());
            map.put("starting_to_running", startingToRunning.toMap());
            return map;
        }
    }

    private Phase coderun(int runs, int concurrency) throws Exception {
        List<Long> running = Collections.synchronizedList(new ArrayList<>());
        List<Long> firstOutput = Collections.synchronizedList(new ArrayList<>());
        List<Long> terminal = Collections.synchronizedList(new ArrayList<>());
        List<Long> hop = Collections.synchronizedList(new ArrayList<>());
        List<Long> seen = Collections.synchronizedList(new ArrayList<>());
        List<Long> dispatched = Collections.synchronizedList(new ArrayList<>());
        List<Long> startingToRunning = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        long start = System.currentTimeMillis();
        long[] lastTerminal = {start};
        parallel(concurrency, () -> {
            while (next.getAndIncrement() < runs) {
                long submitted = System.currentTimeMillis();
                JsonNode run = post("/v2/handles/" + o.handle() + "/code-runs",
                        Map.of("runtime_key", "busybox", "command", ECHO), 202);
                EventTap.Milestones m = tap.of(run.path("data").path("id").asString());
                var status = m.done.get(RUN_BOUND.toSeconds(), TimeUnit.SECONDS);
                if (!status.name().equals("SUCCEEDED")) {
                    failed.incrementAndGet();
                }
                synchronized (lastTerminal) {
                    lastTerminal[0] = Math.max(lastTerminal[0], m.terminal);
                }
                terminal.add(m.terminal - submitted);
                if (m.running > 0) {
                    running.add(m.running - submitted);
                }
                if (m.firstOutput > 0) {
                    firstOutput.add(m.firstOutput - submitted);
                }
                if (m.dispatched > 0 && m.starting > 0) {
                    hop.add(m.starting - m.dispatched);
                }
                if (m.dispatched > 0 && m.dispatchSeen > 0) {
                    seen.add(m.dispatchSeen - m.dispatched);
                }
                if (m.dispatched > 0) {
                    dispatched.add(m.dispatched - submitted);
                }
                if (m.starting > 0 && m.running > 0) {
                    startingToRunning.add(m.running - m.starting);
                }
            }
            return null;
        });
        double seconds = (lastTerminal[0] - start) / 1000.0;
        return new Phase(Stats.of(running), Stats.of(firstOutput), Stats.of(terminal), Stats.of(hop),
                Stats.of(seen), Stats.of(dispatched), Stats.of(startingToRunning), runs / seconds, failed.get());
    }

    private Phase docker(List<String> command, int runs, int concurrency) throws Exception {
        List<Long> firstOutput = Collections.synchronizedList(new ArrayList<>());
        List<Long> terminal = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        long start = System.currentTimeMillis();
        parallel(concurrency, () -> {
            while (next.getAndIncrement() < runs) {
                long t0 = System.currentTimeMillis();
                Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
                process.getOutputStream().close();
                try (InputStream out = process.getInputStream()) {
                    if (out.read() >= 0) {
                        firstOutput.add(System.currentTimeMillis() - t0);
                    }
                    out.transferTo(OutputStreamDiscard.INSTANCE);
                }
                if (process.waitFor() != 0) {
                    failed.incrementAndGet();
                }
                terminal.add(System.currentTimeMillis() - t0);
            }
            return null;
        });
        double seconds = (System.currentTimeMillis() - start) / 1000.0;
        return new Phase(Stats.of(List.of()), Stats.of(firstOutput), Stats.of(terminal), Stats.of(List.of()),
                Stats.of(List.of()), Stats.of(List.of()), Stats.of(List.of()), runs / seconds, failed.get());
    }

    record Accept(long accepted, double perSecond, Stats latency, int refused) {
        Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("accepted", accepted);
            map.put("per_second", Stats.round(perSecond));
            map.put("refused", refused);
            map.put("latency", latency.toMap());
            return map;
        }
    }

    /**
     * Waits until the machine is quiet, under {@link #QUIET_CORES} busy over half a second, or 10 s passed; answers
     * which, for the log. An accept phase starts after it, so it is not timed against what the stack still does for the
     * phase before: projecting and scheduling the runs just accepted, cancelling those left queued. With the worker
     * running what was just accepted the machine does not get quiet, and the phase starts after the 10 s.
     */
    private static String settle() throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(10).toNanos();
        CpuTicks last = CpuTicks.now(Map.of());
        while (System.nanoTime() < deadline) {
            Thread.sleep(500);
            CpuTicks now = CpuTicks.now(Map.of());
            double cores = (now.machine() - last.machine()) * CpuTicks.MS_PER_TICK / 500.0;
            last = now;
            if (cores < QUIET_CORES) {
                return String.format("the machine quiet after %.1f s", (System.nanoTime() - start) / 1e9);
            }
        }
        return "the machine still busy after 10 s";
    }

    /** Single submits then batches, each phase timed and its row added, labelled with {@code condition}. */
    private AcceptRound acceptRound(String condition) throws Exception {
        log("accepting%s: %d single submissions from %d clients (%s)", condition, o.acceptRequests(),
                o.acceptClients(), settle());
        Accept single = acceptSingle();
        row("accepted single submits, " + o.acceptClients() + " clients" + condition,
                String.format("%.0f/s, p50 %.1f ms, p99 %.1f ms", single.perSecond(), single.latency().p50(),
                        single.latency().p99()), "-", "");
        String clients = o.batchClients() + (o.batchClients() == 1 ? " client" : " clients");
        log("accepting%s: %d batches of 1000 from %s (%s)", condition, o.batches(), clients, settle());
        Accept batch = acceptBatches();
        row("accepted runs in batches of 1000, " + clients + condition, batch == null ? "n/a (no batch route)"
                : String.format("%.0f runs/s, p50 %.0f ms, p99 %.0f ms per batch", batch.perSecond(),
                        batch.latency().p50(), batch.latency().p99()), "-", "");
        return new AcceptRound(single, batch);
    }

    /** One round of accept phases; {@code batch} is null when the gateway has no batch route. */
    record AcceptRound(Accept single, Accept batch) {
        Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("single", single.toMap());
            map.put("batch", batch == null ? "n/a" : batch.toMap());
            return map;
        }
    }

    private Accept acceptSingle() throws Exception {
        String path = "/v2/handles/" + o.acceptHandle() + "/code-runs";
        byte[] body = JSON.writeValueAsBytes(Map.of("runtime_key", "busybox", "command", "true"));
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        // A short warm-up, not measured: the first requests pay for connections and JIT.
        for (int i = 0; i < 20; i++) {
            send(path, body);
        }
        long start = System.nanoTime();
        parallel(o.acceptClients(), () -> {
            while (next.getAndIncrement() < o.acceptRequests()) {
                long t0 = System.nanoTime();
                int status = send(path, body).statusCode();
                latencies.add((System.nanoTime() - t0) / 1e6);
                if (status != 202) {
                    refused.incrementAndGet();
                }
            }
            return null;
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Accept(o.acceptRequests() - refused.get(), o.acceptRequests() / seconds, Stats.of(latencies),
                refused.get());
    }

    private Accept acceptBatches() throws Exception {
        String path = "/v2/handles/" + o.acceptHandle() + "/code-runs/batch";
        List<Map<String, String>> items = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            items.add(Map.of("runtime_key", "busybox", "command", "true"));
        }
        byte[] body = JSON.writeValueAsBytes(Map.of("runs", items));
        HttpResponse<String> probe = send(path, body);
        if (probe.statusCode() == 404 || probe.statusCode() == 405) {
            return null;
        }
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        long start = System.nanoTime();
        parallel(o.batchClients(), () -> {
            while (next.getAndIncrement() < o.batches()) {
                long t0 = System.nanoTime();
                HttpResponse<String> response = send(path, body);
                latencies.add((System.nanoTime() - t0) / 1e6);
                if (response.statusCode() != 200) {
                    refused.addAndGet(1000);
                    continue;
                }
                for (JsonNode item : JSON.readTree(response.body()).path("data")) {
                    (item.path("status").asInt() == 202 ? accepted : refused).incrementAndGet();
                }
            }
            return null;
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Accept(accepted.get(), accepted.get() / seconds, Stats.of(latencies), refused.get());
    }

    /**
     * QUEUED transitions the projector wrote for the accept handle per second, from the first accepted submission to
     * the last of them written (the gateway writes PENDING itself; every accepted run gets exactly one QUEUED or
     * REJECTED row from the projector), until all arrived or the count stopped growing for three seconds.
     */
    private double projectorRate(long before, Instant from, long expected) throws Exception {
        long last = before;
        Instant lastGrowth = Instant.now();
        while (last - before < expected && Duration.between(lastGrowth, Instant.now()).toMillis() < 3000) {
            Thread.sleep(250);
            long now = projectedTransitions();
            if (now > last) {
                last = now;
                lastGrowth = Instant.now();
            }
        }
        double seconds = Duration.between(from, lastGrowth).toMillis() / 1000.0;
        return (last - before) / seconds;
    }

    private long projectedTransitions() throws Exception {
        try (var db = DriverManager.getConnection(o.jdbc(), o.dbUser(), o.dbPassword());
                var stmt = db.prepareStatement("select count(*) from run_transitions t join runs r on r.id = t.run_id"
                        + " where r.handle = ? and t.status in ('QUEUED', 'REJECTED')")) {
            stmt.setString(1, o.acceptHandle());
            try (var rs = stmt.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private int cancelLeftovers() throws Exception {
        List<String> ids = new ArrayList<>();
        try (var db = DriverManager.getConnection(o.jdbc(), o.dbUser(), o.dbPassword());
                var stmt = db.prepareStatement("select id from runs where handle = ? and status in"
                        + " ('PENDING','QUEUED','STARTING','RUNNING')")) {
            stmt.setString(1, o.acceptHandle());
            try (var rs = stmt.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        }
        AtomicInteger next = new AtomicInteger();
        parallel(16, () -> {
            for (int i = next.getAndIncrement(); i < ids.size(); i = next.getAndIncrement()) {
                send("/v2/handles/" + o.acceptHandle() + "/code-runs/" + ids.get(i) + "/cancel", new byte[0]);
            }
            return null;
        });
        return ids.size();
    }

    /**
     * Drains every worker that is not lost (the operator's fleet routes; the bench's token must be an admin token of
     * the operator handle) and waits up to a minute for each to report {@code drained}; answers their ids, none when
     * the token may not drain.
     */
    private List<String> drainFleet() throws Exception {
        HttpResponse<String> list = http.send(request("/v2/fleet/workers").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (list.statusCode() != 200) {
            return List.of();
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode worker : JSON.readTree(list.body()).path("data")) {
            if (!worker.path("state").asString().equals("lost")) {
                ids.add(worker.path("worker_id").asString());
            }
        }
        for (String id : ids) {
            post("/v2/fleet/workers/" + id + "/drain", Map.of(), 202);
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        for (String id : ids) {
            while (System.nanoTime() < deadline) {
                HttpResponse<String> one = http.send(request("/v2/fleet/workers/" + id).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (JSON.readTree(one.body()).path("data").path("state").asString().equals("drained")) {
                    break;
                }
                Thread.sleep(250);
            }
        }
        return ids;
    }

    private void undrain(List<String> ids) throws Exception {
        for (String id : ids) {
            post("/v2/fleet/workers/" + id + "/undrain", Map.of(), 202);
        }
    }

    // ---- set-up ---------------------------------------------------------------------------------------------------

    private JsonNode ensureRuntime(String handle) throws Exception {
        String path = "/v2/handles/" + handle + "/code-runtimes/busybox";
        HttpResponse<String> put = http.send(request(path)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(Map.of(
                        "image", Map.of("uri", o.image(), "digest", o.digest()))))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (put.statusCode() >= 300) {
            throw new IllegalStateException("PUT " + path + " answered " + put.statusCode() + ": " + put.body());
        }
        JsonNode validated = post(path + "/validate-image", Map.of(), 200);
        if (!validated.path("data").path("validation").path("status").asString().equals("VALID")) {
            throw new IllegalStateException("runtime busybox did not validate: " + validated);
        }
        return validated.path("data");
    }

    /** `docker run --rm` with the flags the worker's sandbox policy gives the same runtime. */
    private List<String> dockerCommand(JsonNode runtime) {
        JsonNode resources = runtime.path("resources");
        JsonNode sandbox = runtime.path("sandbox");
        long memory = resources.path("memory_mb").asLong();
        List<String> command = new ArrayList<>(List.of("docker", "run", "--rm", "-i",
                "--network", sandbox.path("network").asString("none"),
                "--user", o.user(), "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
                "--memory", memory + "m", "--memory-swap", memory + "m",
                "--cpus", resources.path("cpu_cores").asString(),
                "--pids-limit", resources.path("pids_limit").asString(),
                "--tmpfs", "/tmp:rw,nosuid,nodev,size=64m,mode=1777",
                // The worker's containers have no log driver either; `docker run` still reads the output attached.
                "--log-driver", "none"));
        if (sandbox.path("read_only_rootfs").asBoolean(true)) {
            command.add("--read-only");
        }
        command.addAll(List.of(o.image() + "@" + o.digest(), "/bin/sh", "-c", ECHO));
        return command;
    }

    // ---- plumbing -------------------------------------------------------------------------------------------------

    private JsonNode post(String path, Object body, int expected) throws Exception {
        HttpResponse<String> response = send(path, JSON.writeValueAsBytes(body));
        if (response.statusCode() != expected) {
            throw new IllegalStateException("POST " + path + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        return JSON.readTree(response.body());
    }

    private HttpResponse<String> send(String path, byte[] body) throws IOException, InterruptedException {
        return http.send(request(path).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(o.gateway() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + o.token())
                .header("Content-Type", "application/json");
    }

    private interface Task {
        Void call() throws Exception;
    }

    private static void parallel(int threads, Task task) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<Void>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(task::call));
            }
            for (Future<Void> f : futures) {
                f.get();
            }
        }
    }

    private static Map<String, Object> roundAll(Map<String, Double> values) {
        Map<String, Object> rounded = new LinkedHashMap<>();
        values.forEach((name, value) -> rounded.put(name, Stats.round(value)));
        return rounded;
    }

    private static long rssMiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private void row(String figure, String coderun, String docker, String ratio) {
        rows.add(new String[] {figure, coderun, docker, ratio});
    }

    private void print() {
        System.out.printf("%n| figure | coderun | bare docker run --rm | ratio |%n|---|---|---|---|%n");
        for (String[] r : rows) {
            System.out.printf("| %s | %s | %s | %s |%n", (Object[]) r);
        }
    }

    private static String ms(double v) {
        return String.format("%.0f ms", v);
    }

    private static void log(String format, Object... args) {
        System.err.printf("[bench] " + format + "%n", args);
    }

    /** Swallows bytes. */
    private static final class OutputStreamDiscard extends java.io.OutputStream {
        static final OutputStreamDiscard INSTANCE = new OutputStreamDiscard();

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}
    }
}

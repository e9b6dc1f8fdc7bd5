package dev.coderun.systemtests;

import static org.awaitility.Awaitility.await;

import dev.coderun.events.SecretKeyRing;
import dev.coderun.infra.kafka.KraftBroker;
import dev.coderun.infra.kafka.TopicProvisioner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One started stack per test JVM: an in-process KRaft broker, a fresh PostgreSQL database on the local server, and
 * the gateway, scheduler and worker started from their exec jars as real processes, which tests may kill (SIGKILL)
 * and start again. The Docker engine and the local
 * registry with the base images must already run ({@code infra/scripts/base-services.sh}, as {@code .ci/run} does).
 */
final class Stack {

    static final String JWT_SECRET = "system-tests-secret-" + UUID.randomUUID();
    /** The first key of the secrets key ring the gateway and worker get ({@code coderun.secrets.keys}), id {@code it1}. */
    static final String SECRETS_KEY = SecretKeyRing.newKey();
    /** The scheduler's per-handle limit in this stack: small, so tests can fill it. */
    static final int MAX_ACTIVE_PER_HANDLE = 3;
    static final int WORKER_SLOTS = 4;
    /** The handle whose admin tokens reach the fleet routes ({@code coderun.fleet.operator-handle}). */
    static final String OPERATOR_HANDLE = "ops";
    /** How long a buffered exec waits for its run in this stack ({@code coderun.exec.max-wait}). */
    static final Duration EXEC_MAX_WAIT = Duration.ofSeconds(15);
    private static final String DB_URL = "jdbc:postgresql://127.0.0.1:5432/";
    private static final String DB_USER = System.getenv().getOrDefault("CODERUN_DB_USER", "coderun");
    private static final String DB_PASSWORD = System.getenv().getOrDefault("CODERUN_DB_PASSWORD", "coderun");
    private static final Duration START_BOUND = Duration.ofSeconds(120);

    private static Stack instance;

    final String gatewayUrl;
    final String workerId = "it-worker-" + UUID.randomUUID().toString().substring(0, 8);
    volatile KraftBroker broker;
    final String database;
    /** Receives the spans every service exports (CODERUN_ZIPKIN_ENDPOINT). */
    final ZipkinReceiver spans;
    private final Path work;
    private final Path logs;
    private final int gatewayPort;
    private final Map<String, Process> services = new LinkedHashMap<>();
    /** {@code coderun.secrets.keys} and {@code current-key} of the services started from now on. */
    private volatile String secretsKeys = "it1:" + SECRETS_KEY;
    private volatile String secretsCurrentKey = "it1";
    private final Map<String, Integer> launches = new HashMap<>();
    /** Ports of gateways started next to the main one ({@link #startAnotherGateway}), by service name. */
    private final Map<String, Integer> gatewayPorts = new HashMap<>();
    /** Management ports (health, /actuator/prometheus) of the scheduler and worker, by service name. */
    private final Map<String, Integer> managementPorts = new HashMap<>();
    /** Settings those gateways are started with on top of the main one's, by service name. */
    private final Map<String, List<String>> gatewayArguments = new HashMap<>();

    private Stack(Path work, Path logs, KraftBroker broker, String database, int gatewayPort, ZipkinReceiver spans) {
        this.spans = spans;
        this.work = work;
        this.logs = logs;
        this.broker = broker;
        this.database = database;
        this.gatewayPort = gatewayPort;
        this.gatewayUrl = "http://127.0.0.1:" + gatewayPort;
    }

    static synchronized Stack get() {
        if (instance == null) {
            try {
                instance = start();
            } catch (Exception e) {
                throw new IllegalStateException("could not start the system-test stack", e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(instance::stop, "stack-stop"));
        }
        return instance;
    }

    private static Stack start() throws Exception {
        Path work = Files.createTempDirectory("coderun-it-");
        Path logs = Path.of("target", "it-logs");
        Files.createDirectories(logs);
        KraftBroker broker = KraftBroker.start(work.resolve("kafka"), "127.0.0.1", 0);
        TopicProvisioner.provision(broker.bootstrapServers(), (short) 1);

        String database = "coderun_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (var conn = DriverManager.getConnection(DB_URL + "postgres", DB_USER, DB_PASSWORD);
                var stmt = conn.createStatement()) {
            stmt.execute("create database " + database);
        }

        Stack stack = new Stack(work, logs, broker, database, freePort(), ZipkinReceiver.start());
        stack.launch("scheduler");
        stack.launch("worker");
        stack.launch("gateway");
        stack.awaitGatewayHealthy(stack.gatewayUrl);
        stack.awaitStarted("scheduler");
        stack.awaitStarted("worker");
        return stack;
    }

    /** Kills the service with SIGKILL, as a crash would: no shutdown hook, no goodbye to Kafka. */
    void kill(String service) {
        Process process = services.get(service);
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the service again, with the same settings (the worker keeps its id), and waits until it is up. */
    void restart(String service) {
        if (services.get(service).isAlive()) {
            kill(service);
        }
        try {
            launch(service);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (service.startsWith("gateway")) {
            awaitGatewayHealthy(gatewayUrl);
        }
        awaitStarted(service);
    }

    /**
     * Starts one more gateway process, {@code name} (e.g. {@code gateway-2}), on its own port against the same Kafka
     * and database (its projector joins the same consumer group); answers its base URL once it is healthy. It stops
     * with the stack, or with {@link #kill}.
     */
    synchronized String startAnotherGateway(String name) {
        return startAnotherGateway(name, List.of());
    }

    /**
     * {@link #startAnotherGateway(String)} with more settings, given as command-line arguments (e.g.
     * {@code --coderun.rate-limits.reads.capacity=4}); they also hold when it is restarted.
     */
    synchronized String startAnotherGateway(String name, List<String> arguments) {
        try {
            gatewayPorts.put(name, freePort());
            gatewayArguments.put(name, List.copyOf(arguments));
            launch(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String url = "http://127.0.0.1:" + gatewayPorts.get(name);
        awaitGatewayHealthy(url);
        awaitStarted(name);
        return url;
    }

    /**
     * Rotates the secrets key: the ring becomes the current one plus {@code keyId} with a new key, current, and the
     * gateway and worker are restarted with it (the old keys stay, so what was sealed before still opens).
     */
    synchronized void rotateSecretsKey(String keyId) {
        secretsKeys = secretsKeys + "," + keyId + ":" + SecretKeyRing.newKey();
        secretsCurrentKey = keyId;
        restart("gateway");
        restart("worker");
    }

    /** The secrets key ring the services started last were given. */
    SecretKeyRing secretsKeyRing() {
        return SecretKeyRing.of(secretsKeys, secretsCurrentKey);
    }

    /**
     * The base URL of a service's management endpoints ({@code /actuator/health/...}, {@code /actuator/prometheus}):
     * the gateway's own port for a gateway, a port of its own for the scheduler and the worker.
     */
    String managementUrl(String service) {
        int port = service.startsWith("gateway")
                ? gatewayPorts.getOrDefault(service, gatewayPort) : managementPorts.get(service);
        return "http://127.0.0.1:" + port;
    }

    /** Where every service's log is written (one file per launch). */
    Path logDirectory() {
        return logs;
    }

    /** A JDBC connection to the stack's database, for tests that count what the read model holds. */
    java.sql.Connection database() throws SQLException {
        return DriverManager.getConnection(DB_URL + database, DB_USER, DB_PASSWORD);
    }

    /** Stops the Kafka broker; {@link #startBroker()} starts it again on the same port with the same data. */
    void stopBroker() {
        broker.close();
    }

    void startBroker() {
        String bootstrap = broker.bootstrapServers();
        try {
            broker = KraftBroker.start(work.resolve("kafka"), "127.0.0.1",
                    Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the PostgreSQL server for {@code outage}, then starts it again. */
    void restartPostgres(Duration outage) {
        String cluster = postgresCluster();
        run("pg_ctlcluster", cluster.split("/")[0], cluster.split("/")[1], "stop", "-m", "fast");
        await("the outage").pollDelay(outage).atMost(outage.plusSeconds(1)).until(() -> true);
        run("pg_ctlcluster", cluster.split("/")[0], cluster.split("/")[1], "start");
    }

    /** The log of the service's current process. */
    Path log(String service) {
        int launch = launches.getOrDefault(service, 1);
        return logs.resolve(launch == 1 ? service + ".log" : service + "." + launch + ".log");
    }

    private void launch(String service) throws IOException {
        launches.merge(service, 1, Integer::sum);
        String module = service.startsWith("gateway") ? "api-gateway" : service;
        Path root = Path.of(System.getProperty("coderun.root", ".."));
        String version = System.getProperty("coderun.version", "0.1.0-SNAPSHOT");
        Path jar = root.resolve(module).resolve("target").resolve(module + "-" + version + "-exec.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run the build through `package` first");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", jar.toString()));
        command.addAll(switch (service) {
            case "scheduler" -> List.of(
                    "--coderun.scheduler.state-dir=" + work.resolve("scheduler-state"),
                    "--coderun.scheduler.max-active-runs-per-handle=" + MAX_ACTIVE_PER_HANDLE);
            // As bin/coderun runs it: runs without a network get the engine's networking off and this hosts file.
            case "worker" -> List.of("--coderun.worker.id=" + workerId, "--coderun.worker.slots=" + WORKER_SLOTS,
                    "--coderun.worker.sandbox.hosts-file=" + work.resolve("sandbox").resolve("hosts"));
            // ExecIT lets a run outlive its request: the exec wait is capped well below the runs' timeouts. The gateway
            // reports the scheduler's limits on GET .../limits: it must be given the same values.
            case "gateway" -> List.of("--coderun.exec.max-wait=" + EXEC_MAX_WAIT.toSeconds() + "s",
                    "--coderun.capacity.max-active-runs-per-handle=" + MAX_ACTIVE_PER_HANDLE,
                    "--coderun.fleet.operator-handle=" + OPERATOR_HANDLE);
            default -> List.of();
        });
        command.addAll(gatewayArguments.getOrDefault(service, List.of()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log(service).toFile());
        builder.environment().put("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers());
        builder.environment().put("CODERUN_JWT_SECRET", JWT_SECRET);
        builder.environment().put("CODERUN_SECRETS_KEYS", secretsKeys);
        builder.environment().put("CODERUN_SECRETS_CURRENT_KEY", secretsCurrentKey);
        builder.environment().put("CODERUN_DB_NAME", database);
        // Every span is sampled (the default) and exported here, a few hundred milliseconds after it ends.
        builder.environment().put("CODERUN_ZIPKIN_ENDPOINT", spans.endpoint());
        builder.environment().put("MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_SCHEDULE_DELAY", "200ms");
        builder.environment().put(
                "CODERUN_GATEWAY_PORT", String.valueOf(gatewayPorts.getOrDefault(service, gatewayPort)));
        // A port of its own per scheduler and worker, kept across restarts; the defaults may be taken on this machine.
        for (String managed : List.of("scheduler", "worker")) {
            if (!managementPorts.containsKey(managed)) {
                managementPorts.put(managed, freePort());
            }
        }
        builder.environment().put("CODERUN_SCHEDULER_MANAGEMENT_PORT", managementPorts.get("scheduler").toString());
        builder.environment().put("CODERUN_WORKER_MANAGEMENT_PORT", managementPorts.get("worker").toString());
        services.put(service, builder.start());
    }

    private void awaitGatewayHealthy(String gatewayUrl) {
        HttpClient http = HttpClient.newHttpClient();
        await("gateway health").atMost(START_BOUND).pollInterval(Duration.ofMillis(500)).until(() -> {
            failIfAnyExited();
            try {
                var response = http.send(
                        HttpRequest.newBuilder(URI.create(gatewayUrl + "/actuator/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                return response.statusCode() == 200 && response.body().contains("UP");
            } catch (IOException e) {
                return false;
            }
        });
    }

    private void awaitStarted(String service) {
        await(service + " started").atMost(START_BOUND).pollInterval(Duration.ofMillis(200)).until(() -> {
            failIfAnyExited();
            String log = Files.readString(log(service));
            return service.equals("scheduler") ? log.contains("-> RUNNING") : log.contains("Started");
        });
    }

    private void failIfAnyExited() {
        services.forEach((name, process) -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited early; see " + log(name));
            }
        });
    }

    private void stop() {
        for (Process p : services.values()) {
            p.destroy();
        }
        for (Process p : services.values()) {
            try {
                if (!p.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        broker.close();
        spans.close();
        try (var conn = DriverManager.getConnection(DB_URL + "postgres", DB_USER, DB_PASSWORD);
                var stmt = conn.createStatement()) {
            stmt.execute("drop database if exists " + database + " with (force)");
        } catch (SQLException e) {
            System.err.println("could not drop " + database + ": " + e.getMessage());
        }
    }

    /** The PostgreSQL cluster on port 5432 as {@code version/name}, from Debian's {@code pg_lsclusters}. */
    private static String postgresCluster() {
        for (String line : run("pg_lsclusters", "--no-header").split("\n")) {
            String[] columns = line.trim().split("\\s+");
            if (columns.length >= 3 && columns[2].equals("5432")) {
                return columns[0] + "/" + columns[1];
            }
        }
        throw new IllegalStateException("no PostgreSQL cluster on port 5432");
    }

    private static String run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }
}

package dev.coderun.cluster;

import dev.coderun.infra.kafka.TopicProvisioner;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.output.Slf4jLogConsumer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

/**
 * The fleet as containers on the local engine: three KRaft brokers (combined broker+controller, replication factor 3,
 * {@code min.insync.replicas} 2) from {@code coderun/kafka}, one scheduler, N workers on the host's Docker socket, and
 * the gateway on the host network (it reaches the host's PostgreSQL on 127.0.0.1:5432, in a database of its own, and
 * the brokers through their mapped ports). Images are the ones {@code infra/scripts/fleet-images.sh} recorded in
 * {@code $CODERUN_STATE_DIR/fleet-images.env} (or {@code $CODERUN_FLEET_ENV}).
 */
final class Fleet implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Fleet.class);
    static final String DB_URL = "jdbc:postgresql://127.0.0.1:5432/";
    /** The workers' uid in their image (infra/images/service). */
    private static final int WORKER_UID = 10001;

    final String tag = "cl" + UUID.randomUUID().toString().substring(0, 8);
    final String jwtSecret = UUID.randomUUID().toString() + UUID.randomUUID();
    final String database = "coderun_" + tag;
    final int workerSlots;
    final int gatewayPort;
    private final Map<String, String> images;
    private final String secretsKeys;
    private final Network network = Network.newNetwork();
    /**
     * Where the workers write the hosts file of runs without a network, at the same path on the host and in them: the
     * engine binds it into those runs' containers, as under compose. Owned by the workers' uid (open to every user
     * when the tests cannot hand it over).
     */
    private final Path sandboxDir;
    final List<KafkaContainer> brokers = new ArrayList<>();
    final List<GenericContainer<?>> workers = new ArrayList<>();
    GenericContainer<?> scheduler;
    GenericContainer<?> gateway;

    Fleet(int workerSlots) throws IOException {
        this.workerSlots = workerSlots;
        this.images = readImages();
        this.gatewayPort = freePort();
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        this.secretsKeys = "k1:" + Base64.getEncoder().encodeToString(key);
        this.sandboxDir = Files.createTempDirectory("coderun-" + tag + "-sandbox-");
        Files.setPosixFilePermissions(sandboxDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            // Root can hand the directory over.
            Files.setAttribute(sandboxDir, "unix:uid", WORKER_UID);
            Files.setAttribute(sandboxDir, "unix:gid", WORKER_UID);
        } catch (IOException | SecurityException notRoot) {
            Files.setPosixFilePermissions(sandboxDir, PosixFilePermissions.fromString("rwxrwxrwx"));
        }
    }

    /** Brokers (in parallel: each waits for the quorum), topics, then the services. */
    void start(int workerCount, int maxActivePerHandle) throws SQLException {
        String voters = String.join(",",
                IntStream.rangeClosed(1, 3).mapToObj(i -> i + "@broker-" + i + ":9094").toList());
        String clusterId = "Y29kZXJ1bi1jbHVzdGVyLXQ";
        for (int i = 1; i <= 3; i++) {
            KafkaContainer broker = new KafkaContainer(
                            DockerImageName.parse(images.get("KAFKA")).asCompatibleSubstituteFor("apache/kafka"))
                    .withNetwork(network)
                    .withNetworkAliases("broker-" + i)
                    .withEnv("CLUSTER_ID", clusterId)
                    .withEnv("KAFKA_NODE_ID", String.valueOf(i))
                    .withEnv("KAFKA_CONTROLLER_QUORUM_VOTERS", voters)
                    .withEnv("KAFKA_DEFAULT_REPLICATION_FACTOR", "3")
                    .withEnv("KAFKA_MIN_INSYNC_REPLICAS", "2")
                    .withEnv("KAFKA_NUM_PARTITIONS", "6")
                    .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3")
                    .withEnv("KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS", "6")
                    .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "3")
                    .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2")
                    .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "3")
                    .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "2")
                    .withEnv("KAFKA_GROUP_SHARE_MIN_SESSION_TIMEOUT_MS", "6000")
                    .withEnv("KAFKA_GROUP_SHARE_SESSION_TIMEOUT_MS", "10000")
                    .withEnv("KAFKA_GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS", "1000")
                    .withEnv("KAFKA_GROUP_SHARE_HEARTBEAT_INTERVAL_MS", "2000")
                    .withEnv("KAFKA_GROUP_SHARE_DELIVERY_COUNT_LIMIT", "10")
                    .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                    .withEnv("KAFKA_MESSAGE_MAX_BYTES", String.valueOf(dev.coderun.events.Topics.MAX_REQUEST_BYTES))
                    .withEnv("KAFKA_REPLICA_FETCH_MAX_BYTES",
                            String.valueOf(dev.coderun.events.Topics.MAX_REQUEST_BYTES))
                    .withEnv("KAFKA_HEAP_OPTS", "-Xmx320m -Xms128m")
                    .withStartupTimeout(Duration.ofMinutes(4));
            brokers.add(broker);
        }
        Startables.deepStart(brokers).join();
        TopicProvisioner.provision(hostBootstrap(), (short) 3);

        try (var c = DriverManager.getConnection(DB_URL + "coderun", "coderun", "coderun");
                var s = c.createStatement()) {
            s.execute("create database " + database);
        }

        scheduler = service("scheduler", "SCHEDULER")
                .withNetwork(network)
                .withEnv("KAFKA_BOOTSTRAP_SERVERS", networkBootstrap())
                .withCommand("--coderun.scheduler.max-active-runs-per-handle=" + maxActivePerHandle,
                        "--coderun.scheduler.state-dir=/tmp/scheduler")
                .waitingFor(Wait.forLogMessage(".*scheduler streams .* -> RUNNING.*\\n", 1)
                        .withStartupTimeout(Duration.ofMinutes(4)));
        gateway = service("gateway", "GATEWAY")
                .withNetworkMode("host")
                .withEnv("KAFKA_BOOTSTRAP_SERVERS", hostBootstrap())
                .withEnv("CODERUN_GATEWAY_PORT", String.valueOf(gatewayPort))
                .withEnv("CODERUN_DB_NAME", database)
                .withEnv("CODERUN_JWT_SECRET", jwtSecret)
                .withEnv("CODERUN_SECRETS_KEYS", secretsKeys)
                .waitingFor(Wait.forLogMessage(".*Started \\w+Application.*\\n", 1)
                        .withStartupTimeout(Duration.ofMinutes(4)));
        for (int i = 1; i <= workerCount; i++) {
            workers.add(worker(i));
        }
        List<GenericContainer<?>> services = new ArrayList<>(workers);
        services.add(scheduler);
        services.add(gateway);
        Startables.deepStart(services).join();
    }

    private GenericContainer<?> worker(int i) {
        int dockerGid;
        try {
            dockerGid = (Integer) Files.getAttribute(Path.of("/var/run/docker.sock"), "unix:gid");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the Docker socket's group", e);
        }
        return service("worker-" + i, "WORKER")
                .withNetwork(network)
                .withEnv("KAFKA_BOOTSTRAP_SERVERS", networkBootstrap())
                .withEnv("CODERUN_SECRETS_KEYS", secretsKeys)
                // Set on the host config directly: withFileSystemBind makes Testcontainers check bind mounts with an
                // alpine container it would have to pull, and no public registry is reachable.
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                        .withBinds(new Bind("/var/run/docker.sock", new Volume("/var/run/docker.sock")),
                                new Bind(sandboxDir.toString(), new Volume(sandboxDir.toString())))
                        .withGroupAdd(List.of(String.valueOf(dockerGid))))
                .withCommand("--coderun.worker.id=" + workerId(i), "--coderun.worker.slots=" + workerSlots,
                        "--coderun.worker.sandbox.hosts-file=" + sandboxDir.resolve("hosts"))
                .waitingFor(Wait.forLogMessage(".*Started WorkerApplication.*\\n", 1)
                        .withStartupTimeout(Duration.ofMinutes(4)));
    }

    /**
     * Starts worker {@code i} (1-based) in a new container with the id it had before, so it sweeps what an earlier
     * container of that id left on the engine; the next index adds a worker.
     */
    void startWorker(int i) {
        GenericContainer<?> worker = worker(i);
        if (i <= workers.size()) {
            workers.get(i - 1).stop(); // removes a killed worker's container; nothing for one stopped already
            workers.set(i - 1, worker);
        } else if (i == workers.size() + 1) {
            workers.add(worker);
        } else {
            throw new IllegalArgumentException("worker " + i + " after " + workers.size());
        }
        worker.start();
    }

    /**
     * Stops worker {@code i} as an orchestrator does: SIGTERM, then SIGKILL after {@code timeout}, then removes the
     * container. Testcontainers' own {@code stop()} removes it by force, which is a SIGKILL.
     */
    void stopWorker(int i, Duration timeout) {
        GenericContainer<?> worker = workers.get(i - 1);
        DockerClientFactory.instance().client().stopContainerCmd(worker.getContainerId())
                .withTimeout((int) timeout.toSeconds()).exec();
        worker.stop();
    }

    boolean workerUp(int i) {
        return i <= workers.size() && workers.get(i - 1).isRunning();
    }

    /** Cuts worker {@code i}'s container off the fleet network: no broker is reachable; the Docker socket still is. */
    void disconnectWorker(int i) {
        DockerClientFactory.instance().client().disconnectFromNetworkCmd().withNetworkId(network.getId())
                .withContainerId(workers.get(i - 1).getContainerId()).withForce(true).exec();
    }

    void reconnectWorker(int i) {
        DockerClientFactory.instance().client().connectToNetworkCmd().withNetworkId(network.getId())
                .withContainerId(workers.get(i - 1).getContainerId()).exec();
    }

    /** SIGKILLs broker {@code i} (1-based); it stays down. */
    void killBroker(int i) {
        DockerClientFactory.instance().client().killContainerCmd(brokers.get(i - 1).getContainerId()).exec();
    }

    String workerId(int i) {
        return tag + "-worker-" + i;
    }

    private GenericContainer<?> service(String name, String image) {
        return new GenericContainer<>(DockerImageName.parse(images.get(image)))
                .withEnv("JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1")
                .withLogConsumer(new Slf4jLogConsumer(LoggerFactory.getLogger("container." + name)));
    }

    String hostBootstrap() {
        return String.join(",", brokers.stream().map(KafkaContainer::getBootstrapServers).toList());
    }

    private static String networkBootstrap() {
        return "broker-1:9093,broker-2:9093,broker-3:9093";
    }

    String gatewayUrl() {
        return "http://127.0.0.1:" + gatewayPort;
    }

    /** An HS256 token for {@code handles} with every scope, as {@code bin/coderun token} makes it. */
    String token(String... handles) throws Exception {
        var enc = Base64.getUrlEncoder().withoutPadding();
        long now = System.currentTimeMillis() / 1000;
        String header = enc.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = enc.encodeToString(("{\"iss\":\"coderun\",\"aud\":\"coderun-api\",\"sub\":\"user:cluster-it\","
                + "\"handles\":[\"" + String.join("\",\"", handles) + "\"],"
                + "\"scope\":\"runtimes:read runtimes:write runs:read runs:write admin\","
                + "\"iat\":" + now + ",\"exp\":" + (now + 3600) + "}").getBytes(StandardCharsets.UTF_8));
        var mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(jwtSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String sig = enc.encodeToString(mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII)));
        return header + "." + payload + "." + sig;
    }

    /** The busybox runtime image of base-services.sh ({@code $CODERUN_STATE_DIR/images.env}). */
    static Map<String, String> baseImages() throws IOException {
        return readEnv(stateDir().resolve("images.env"));
    }

    private static Map<String, String> readImages() throws IOException {
        // fleet-images.sh writes where CODERUN_FLEET_ENV says, if set: one checkout's tests then use its own images.
        String env = System.getenv("CODERUN_FLEET_ENV");
        Path file = env != null && !env.isBlank() ? Path.of(env) : stateDir().resolve("fleet-images.env");
        if (!Files.exists(file)) {
            throw new IllegalStateException(file + " is missing: run infra/scripts/fleet-images.sh first");
        }
        Map<String, String> recorded = readEnv(file);
        Map<String, String> images = new HashMap<>();
        for (String name : List.of("KAFKA", "GATEWAY", "SCHEDULER", "WORKER")) {
            images.put(name, recorded.get("CODERUN_" + name + "_IMAGE"));
        }
        return images;
    }

    private static Map<String, String> readEnv(Path file) throws IOException {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    private static Path stateDir() {
        String dir = System.getenv("CODERUN_STATE_DIR");
        return dir != null ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".coderun");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        List<GenericContainer<?>> all = new ArrayList<>(workers);
        all.add(gateway);
        all.add(scheduler);
        for (GenericContainer<?> c : all) {
            if (c != null) {
                c.stop();
            }
        }
        brokers.forEach(GenericContainer::stop);
        network.close();
        try {
            Files.deleteIfExists(sandboxDir.resolve("hosts"));
            Files.deleteIfExists(sandboxDir);
        } catch (IOException e) {
            log.warn("could not remove {}: {}", sandboxDir, e.getMessage());
        }
        try (var c = DriverManager.getConnection(DB_URL + "coderun", "coderun", "coderun");
                var s = c.createStatement()) {
            s.execute("drop database if exists " + database + " with (force)");
        } catch (SQLException e) {
            log.warn("could not drop database {}: {}", database, e.getMessage());
        }
    }
}

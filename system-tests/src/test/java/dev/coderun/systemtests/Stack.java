package dev.coderun.systemtests;

import static org.awaitility.Awaitility.await;

import dev.coderun.infra.kafka.KraftBroker;
import dev.coderun.infra.kafka.TopicProvisioner;
import java.io.IOException;
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
import java.util.List;
import java.util.UUID;

/**
 * One started stack per test JVM: an in-process KRaft broker, a fresh PostgreSQL database on the local server, and
 * the gateway, scheduler and worker started from their exec jars as real processes. The Docker engine and the local
 * registry with the base images must already run ({@code infra/scripts/base-services.sh}, as {@code .ci/run} does).
 */
final class Stack {

    static final String JWT_SECRET = "system-tests-secret-" + UUID.randomUUID();
    private static final String DB_URL = "jdbc:postgresql://127.0.0.1:5432/";
    private static final String DB_USER = System.getenv().getOrDefault("CODERUN_DB_USER", "coderun");
    private static final String DB_PASSWORD = System.getenv().getOrDefault("CODERUN_DB_PASSWORD", "coderun");

    private static Stack instance;

    final String gatewayUrl;
    private final KraftBroker broker;
    private final List<Process> services;
    private final String database;

    private Stack(String gatewayUrl, KraftBroker broker, List<Process> services, String database) {
        this.gatewayUrl = gatewayUrl;
        this.broker = broker;
        this.services = services;
        this.database = database;
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

        int port = freePort();
        List<Process> services = new ArrayList<>();
        services.add(launch("scheduler", broker, database, port, logs,
                "--coderun.scheduler.state-dir=" + work.resolve("scheduler-state")));
        services.add(launch("worker", broker, database, port, logs,
                "--coderun.worker.id=it-worker-" + UUID.randomUUID().toString().substring(0, 8),
                "--coderun.worker.slots=4"));
        services.add(launch("api-gateway", broker, database, port, logs));
        Stack stack = new Stack("http://127.0.0.1:" + port, broker, services, database);

        HttpClient http = HttpClient.newHttpClient();
        await("gateway health").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
            for (Process p : services) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("a service exited early; see system-tests/target/it-logs");
                }
            }
            try {
                var response = http.send(
                        HttpRequest.newBuilder(URI.create(stack.gatewayUrl + "/actuator/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                return response.statusCode() == 200 && response.body().contains("UP");
            } catch (IOException e) {
                return false;
            }
        });
        await("scheduler and worker started").atMost(Duration.ofSeconds(120)).until(() ->
                Files.readString(logs.resolve("scheduler.log")).contains("Started")
                        && Files.readString(logs.resolve("worker.log")).contains("Started"));
        return stack;
    }

    private static Process launch(
            String module, KraftBroker broker, String database, int gatewayPort, Path logs, String... args)
            throws IOException {
        Path root = Path.of(System.getProperty("coderun.root", ".."));
        String version = System.getProperty("coderun.version", "0.1.0-SNAPSHOT");
        Path jar = root.resolve(module).resolve("target").resolve(module + "-" + version + "-exec.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run the build through `package` first");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", jar.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logs.resolve((module.equals("api-gateway") ? "gateway" : module) + ".log").toFile());
        builder.environment().put("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers());
        builder.environment().put("CODERUN_JWT_SECRET", JWT_SECRET);
        builder.environment().put("CODERUN_DB_NAME", database);
        builder.environment().put("CODERUN_GATEWAY_PORT", String.valueOf(gatewayPort));
        return builder.start();
    }

    private void stop() {
        for (Process p : services) {
            p.destroy();
        }
        for (Process p : services) {
            try {
                if (!p.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        broker.close();
        try (var conn = DriverManager.getConnection(DB_URL + "postgres", DB_USER, DB_PASSWORD);
                var stmt = conn.createStatement()) {
            stmt.execute("drop database if exists " + database + " with (force)");
        } catch (SQLException e) {
            System.err.println("could not drop " + database + ": " + e.getMessage());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }
}

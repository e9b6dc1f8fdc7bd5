package dev.coderun.worker;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Whole workers (their Spring contexts) a test starts against Kafka and the local Docker engine, with
 * short intervals so tests run fast; {@link #close()} stops those still running.
 */
public final class TestWorkers implements AutoCloseable {

    /** The key ring every test worker opens run secrets with; {@code it} is its one key's id. */
    public static final String SECRET_KEY = dev.coderun.events.SecretKeyRing.newKey();

    private final String bootstrapServers;
    private final List<ConfigurableApplicationContext> running = new ArrayList<>();

    public TestWorkers(TestKafka kafka) {
        this(kafka.bootstrapServers());
    }

    public TestWorkers(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    /** Starts a worker; {@code settings} are {@code --coderun.worker.*=value} arguments. Returns its id. */
    public String start(int slots, String... settings) {
        String id = "it-worker-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> args = new ArrayList<>(List.of(
                "--coderun.worker.id=" + id,
                "--coderun.worker.slots=" + slots,
                "--coderun.worker.bootstrap-servers=" + bootstrapServers,
                "--coderun.worker.heartbeat-interval=500ms",
                "--coderun.worker.dispatch.poll-timeout=200ms",
                "--coderun.secrets.keys=it:" + SECRET_KEY,
                // Several workers run in this JVM: each management server on a free port.
                "--server.port=0"));
        args.addAll(List.of(settings));
        running.add(new SpringApplicationBuilder(WorkerApplication.class).run(args.toArray(String[]::new)));
        return id;
    }

    /** Shuts the worker started first down, as a deployment would. */
    public void stopFirst() {
        running.removeFirst().close();
    }

    /** Shuts the worker started last down, as a deployment would. */
    public void stopLast() {
        running.removeLast().close();
    }

    /** The ids of the containers on the local engine labelled with the run, removed or not. */
    public static String containersOf(String runId) {
        try {
            Process ps = new ProcessBuilder("docker", "ps", "-aq", "--filter", "label=coderun.run-id=" + runId).start();
            return new String(ps.getInputStream().readAllBytes(), UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("listing containers failed", e);
        }
    }

    @Override
    public void close() {
        running.forEach(ConfigurableApplicationContext::close);
        running.clear();
    }
}

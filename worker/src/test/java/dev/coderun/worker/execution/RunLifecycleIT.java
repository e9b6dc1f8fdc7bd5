package dev.coderun.worker.execution;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.coderun.events.DispatchRun;
import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.RunFinished;
import dev.coderun.events.SecretKeyRing;
import dev.coderun.events.Topics;
import dev.coderun.worker.TestKafka;
import dev.coderun.worker.TestWorkers;
import dev.coderun.worker.WorkerProperties;
import dev.coderun.worker.sandbox.ContainerLauncher;
import dev.coderun.worker.sandbox.SandboxPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import static dev.coderun.worker.LocalRegistry.aBusyboxRun;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One run through {@link RunLifecycle} on the local Docker engine, publishing to the shared test broker: its end is
 * published while its container is still being removed, and {@link RunLifecycle#execute} (after which the slot is
 * released) returns only once the container is gone.
 */
@ExtendWith(TestKafka.Shared.class)
class RunLifecycleIT {

    private static final URI HOST = URI.create("unix:///var/run/docker.sock");

    private final String workerId = "lifecycle-it-" + System.nanoTime();
    /** Per run id, the run's containers on the engine at the moment its {@code RunFinished} was sent. */
    private final Map<String, String> containersAtFinished = new ConcurrentHashMap<>();
    private DockerClient docker;
    private KafkaProducer<String, byte[]> producer;
    private ContainerLauncher launcher;
    private RunLifecycle lifecycle;

    @BeforeEach
    void lifecycle(TestKafka kafka) {
        WorkerProperties properties = new Binder(new MapConfigurationPropertySource(Map.of(
                        "coderun.worker.id", workerId, "coderun.worker.bootstrap-servers", kafka.bootstrapServers())))
                .bindOrCreate("coderun.worker", Bindable.of(WorkerProperties.class));
        DefaultDockerClientConfig config =
                DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(HOST.toString()).build();
        docker = DockerClientImpl.getInstance(
                config, new ApacheDockerHttpClient.Builder().dockerHost(config.getDockerHost()).build());
        producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(),
                new ByteArraySerializer());
        launcher = new ContainerLauncher(docker, HOST, workerId, Duration.ofMinutes(1));
        lifecycle = new RunLifecycle(properties, new SandboxPolicy("65534:65534", 16L * 1024 * 1024), launcher,
                new KafkaRunPublisher(watchingRunFinished(producer)),
                SecretKeyRing.of("it:" + SecretKeyRing.newKey(), null), Clock.systemUTC(),
                new SimpleMeterRegistry());
    }

    @AfterEach
    void close() throws Exception {
        lifecycle.destroy();
        launcher.removeOrphans();
        producer.close();
        docker.close();
    }

    @Test
    void theEndIsPublishedBeforeTheContainerIsRemovedAndExecuteReturnsAfter() {
        DispatchRun dispatch = new DispatchRun(aBusyboxRun().command("echo hi").build(), 1, Instant.now());
        ClaimedRun claim = new ActiveRuns(1).claim(dispatch.runId(), dispatch.attempt());

        lifecycle.execute(dispatch, claim);

        assertThat(containersAtFinished.get(dispatch.runId()))
                .as("the run's container when its RunFinished was sent").isNotBlank();
        assertThat(TestWorkers.containersOf(dispatch.runId()))
                .as("the run's container when execute returned").isEmpty();
        assertThat(claim.stop(StopCause.CANCELLED)).as("a stop after the end").isFalse();
    }

    @Test
    void aRunStoppedWhileItRunsIsReportedAfterItsContainerIsRemoved() {
        DispatchRun dispatch =
                new DispatchRun(aBusyboxRun().command("sleep 30").timeoutSeconds(60).build(), 1, Instant.now());
        ClaimedRun claim = new ActiveRuns(1).claim(dispatch.runId(), dispatch.attempt());
        Thread run = Thread.ofVirtual().start(() -> lifecycle.execute(dispatch, claim));
        await().atMost(Duration.ofSeconds(20)).until(() -> !TestWorkers.containersOf(dispatch.runId()).isEmpty());

        claim.stop(StopCause.CANCELLED);

        await().atMost(Duration.ofSeconds(20)).until(() -> !run.isAlive());
        assertThat(containersAtFinished.get(dispatch.runId())).as("the run's container when RunFinished was sent")
                .isEmpty();
        assertThat(TestWorkers.containersOf(dispatch.runId())).isEmpty();
    }

    /** The producer, noting which containers of the run exist when a {@code RunFinished} is sent. */
    @SuppressWarnings("unchecked")
    private Producer<String, byte[]> watchingRunFinished(Producer<String, byte[]> real) {
        return (Producer<String, byte[]>) Proxy.newProxyInstance(
                Producer.class.getClassLoader(), new Class<?>[] {Producer.class}, (proxy, method, args) -> {
                    if (method.getName().equals("send")
                            && args[0] instanceof ProducerRecord<?, ?> record
                            && record.topic().equals(Topics.EVENTS)) {
                        Message message = MessageSerde.fromBytes((byte[]) record.value());
                        if (message instanceof RunFinished finished) {
                            containersAtFinished.put(finished.runId(), TestWorkers.containersOf(finished.runId()));
                        }
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}

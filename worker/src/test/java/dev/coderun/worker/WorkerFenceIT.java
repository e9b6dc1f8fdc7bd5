package dev.coderun.worker;

import static dev.coderun.worker.LocalRegistry.aBusyboxRun;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.OutputChunk.OutputStream;
import dev.coderun.events.RunStatus;
import dev.coderun.events.StopRun;
import dev.coderun.events.Topics;
import dev.coderun.events.WorkerHeartbeat.RunAttempt;
import dev.coderun.infra.kafka.KraftBroker;
import dev.coderun.infra.kafka.TopicProvisioner;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker that loses Kafka fences itself. This test stops and restarts its broker, so it has one of its own rather than
 * the shared {@link TestKafka}.
 */
class WorkerFenceIT {

    private static final Duration FENCE_AFTER = Duration.ofSeconds(2);

    @TempDir
    Path kafkaDir;

    @Test
    void aWorkerWhoseHeartbeatsAreNoLongerAcknowledgedKillsItsRunsHandsThemBackAndTakesNoneUntilTheyAreGivenUp()
            throws Exception {
        KraftBroker broker = KraftBroker.start(kafkaDir, "127.0.0.1", 0);
        String bootstrapServers = broker.bootstrapServers();
        int port = Integer.parseInt(bootstrapServers.substring(bootstrapServers.lastIndexOf(':') + 1));
        TopicProvisioner.provision(bootstrapServers, (short) 1);
        DispatchRun run = new DispatchRun(aBusyboxRun().command("echo started; sleep 60").timeoutSeconds(90).build(), 1,
                Instant.now());
        try (RecordedTopics topics = new RecordedTopics(bootstrapServers);
                TestWorkers workers = new TestWorkers(bootstrapServers)) {
            String workerId = workers.start(1, "--coderun.worker.fence-after=" + FENCE_AFTER.toMillis() + "ms");
            publish(bootstrapServers, Topics.DISPATCH, run.runId(), MessageSerde.toBytes(run));
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> topics.output(run.runId(), OutputStream.STDOUT).equals("started\n"));

            broker.close();

            // Nothing but the fence stops the run here: no directive was published, and the run has a minute to go.
            await().atMost(FENCE_AFTER.plus(Duration.ofSeconds(10)))
                    .until(() -> TestWorkers.containersOf(run.runId()).isEmpty());

            broker = KraftBroker.start(kafkaDir, "127.0.0.1", port);
            Instant back = Instant.now();
            // Heartbeats resume without the run, listing it as handed back, and the worker reports nothing of it: the
            // scheduler gives the attempt up at the first such heartbeat.
            await().atMost(Duration.ofSeconds(60)).until(() -> topics.heartbeatsOf(workerId).stream()
                    .anyMatch(beat -> beat.at().isAfter(back) && beat.activeRunIds().isEmpty()
                            && beat.handedBack().contains(new RunAttempt(run.runId(), 1))));
            assertThat(topics.finished(run.runId())).isEmpty();

            // Until the scheduler gave that attempt up (its StopRun, read here), the worker takes no run: the records
            // would show the next one beside an attempt the scheduler still counts as running here.
            DispatchRun next = new DispatchRun(aBusyboxRun().command("echo next").build(), 1, Instant.now());
            publish(broker.bootstrapServers(), Topics.DISPATCH, next.runId(), MessageSerde.toBytes(next));
            // Three seconds without one event of it: several polls' worth for a worker that takes runs.
            await("no event of a run dispatched before the StopRun").during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> topics.eventsOf(next.runId()).isEmpty());
            publish(broker.bootstrapServers(), Topics.CONTROL, run.runId(), MessageSerde.toBytes(
                    new StopRun(run.runId(), 1, StopRun.LEASE_EXPIRED, Instant.now())));
            assertThat(topics.awaitFinished(next.runId(), Duration.ofSeconds(60)).status())
                    .isEqualTo(RunStatus.SUCCEEDED);
        } finally {
            broker.close();
        }
    }

    private static void publish(String bootstrapServers, String topic, String key, byte[] value) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
                new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }
}

package dev.coderun.worker;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.StopRun;
import dev.coderun.events.Topics;
import dev.coderun.infra.kafka.KraftBroker;
import dev.coderun.infra.kafka.TopicProvisioner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The in-process KRaft broker the *IT tests share, one per test JVM: started with every topic provisioned by the first
 * test class that asks for it ({@code @ExtendWith(TestKafka.Shared.class)} and a {@code TestKafka} parameter), closed
 * when the test run ends. Records what workers publish ({@link #topics()}) and publishes what the scheduler would.
 */
public final class TestKafka implements AutoCloseable {

    private final Path dataDir;
    private final KraftBroker broker;
    private final KafkaProducer<String, byte[]> producer;
    private final RecordedTopics topics;

    private TestKafka(Path dataDir) throws IOException {
        this.dataDir = dataDir;
        this.broker = KraftBroker.start(dataDir, "127.0.0.1", 0);
        TopicProvisioner.provision(broker.bootstrapServers(), (short) 1);
        this.producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new StringSerializer(),
                new ByteArraySerializer());
        this.topics = new RecordedTopics(broker.bootstrapServers());
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** Everything the workers published since the broker started. */
    public RecordedTopics topics() {
        return topics;
    }

    /** Dispatches attempt 1 of the run, as the scheduler does; returns once Kafka acknowledged it. */
    public DispatchRun dispatch(TestRuns.RunBuilder run) {
        DispatchRun dispatch = new DispatchRun(run.build(), 1, Instant.now());
        publish(new ProducerRecord<>(Topics.DISPATCH, dispatch.runId(), MessageSerde.toBytes(dispatch)));
        return dispatch;
    }

    /** Tells the worker fleet to stop the attempt, as the scheduler does; returns once Kafka acknowledged it. */
    public void stop(DispatchRun run, String reason) {
        StopRun stop = new StopRun(run.runId(), run.attempt(), reason, Instant.now());
        publish(new ProducerRecord<>(Topics.CONTROL, stop.runId(), MessageSerde.toBytes(stop)));
    }

    /** Publishes {@code message}, keyed and partitioned as given; returns once Kafka acknowledged it. */
    public void publish(String topic, Integer partition, String key, Message message) {
        publish(new ProducerRecord<>(topic, partition, key, MessageSerde.toBytes(message)));
    }

    /** Publishes raw bytes, e.g. a record no worker can read; returns once Kafka acknowledged it. */
    public void publish(ProducerRecord<String, byte[]> record) {
        try {
            producer.send(record).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("publishing to " + record.topic() + " failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws Exception {
        topics.close();
        producer.close();
        broker.close();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /** Resolves a {@link TestKafka} parameter to the JVM's one broker, closed by JUnit at the end of the run. */
    public static final class Shared implements ParameterResolver {

        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            return parameter.getParameter().getType() == TestKafka.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            return context.getRoot()
                    .getStore(ExtensionContext.Namespace.create(TestKafka.class))
                    .computeIfAbsent(TestKafka.class, key -> start(), TestKafka.class);
        }

        private static TestKafka start() {
            try {
                return new TestKafka(Files.createTempDirectory("coderun-worker-it-kafka"));
            } catch (IOException e) {
                throw new UncheckedIOException("starting the test broker failed", e);
            }
        }
    }
}

package dev.coderun.scheduler.topology;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.RunEvent;
import dev.coderun.events.Topics;
import dev.coderun.infra.kafka.KraftBroker;
import dev.coderun.infra.kafka.TopicProvisioner;
import dev.coderun.scheduler.SchedulerProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * A real in-process KRaft broker with the scheduler's Kafka Streams running on it, a producer for its inputs and a
 * read-committed recorder of what it publishes, for the scheduler's broker-tier tests and its benchmark.
 */
final class SchedulerHarness implements AutoCloseable {

    final KraftBroker broker;
    private final Path work;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final List<Message> published = new CopyOnWriteArrayList<>();
    private final Thread reader;
    private volatile boolean reading = true;
    private SchedulerStreams scheduler;

    SchedulerHarness() throws IOException {
        work = Files.createTempDirectory("coderun-scheduler-it-");
        broker = KraftBroker.start(work.resolve("kafka"), "127.0.0.1", 0);
        TopicProvisioner.provision(broker.bootstrapServers(), (short) 1);
        producer = new KafkaProducer<>(Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                        ProducerConfig.ACKS_CONFIG, "all",
                        ProducerConfig.LINGER_MS_CONFIG, 5,
                        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_REQUEST_BYTES),
                new StringSerializer(), new ByteArraySerializer());
        consumer = new KafkaConsumer<>(Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_REQUEST_BYTES),
                new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = Stream.of(Topics.EVENTS, Topics.DISPATCH, Topics.CONTROL)
                .flatMap(topic -> IntStream.range(0, Topics.HANDLE_PARTITIONS)
                        .mapToObj(p -> new TopicPartition(topic, p)))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        reader = Thread.ofPlatform().daemon().name("scheduler-output").start(this::read);
    }

    /** Starts the scheduler; {@code freshState} wipes its local stores first, so they are restored from changelogs. */
    void startScheduler(int maxActive, int maxQueued, boolean freshState) throws IOException {
        Path stateDir = work.resolve("scheduler-state");
        if (freshState && Files.exists(stateDir)) {
            try (Stream<Path> files = Files.walk(stateDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
        scheduler = new SchedulerStreams(new SchedulerProperties(broker.bootstrapServers(), "coderun-scheduler",
                stateDir, Duration.ofMillis(20), Duration.ofMillis(10), maxActive, maxQueued, 2,
                Duration.ofSeconds(15), Duration.ofSeconds(1), Duration.ofSeconds(10)),
                io.micrometer.tracing.Tracer.NOOP, io.micrometer.tracing.propagation.Propagator.NOOP);
        scheduler.start();
    }

    boolean schedulerRunning() {
        return scheduler.state() == KafkaStreams.State.RUNNING;
    }

    void stopScheduler() {
        scheduler.stop();
    }

    /** Sends and waits for the broker's acknowledgement. */
    void send(String topic, String key, Message message) {
        try {
            producer.send(new ProducerRecord<>(topic, key, MessageSerde.toBytes(message))).get();
        } catch (Exception e) {
            throw new IllegalStateException("sending to " + topic + " failed", e);
        }
    }

    /** Sends without waiting; {@link #flush()} waits for all. */
    void sendAsync(String topic, String key, Message message) {
        producer.send(new ProducerRecord<>(topic, key, MessageSerde.toBytes(message)));
    }

    void flush() {
        producer.flush();
    }

    List<RunEvent> eventsOf(String runId) {
        return published.stream().filter(m -> m instanceof RunEvent e && e.runId().equals(runId))
                .map(RunEvent.class::cast).toList();
    }

    List<DispatchRun> dispatches() {
        return published.stream().filter(DispatchRun.class::isInstance).map(DispatchRun.class::cast).toList();
    }

    long count(Class<? extends Message> type) {
        return published.stream().filter(type::isInstance).count();
    }

    private void read() {
        try {
            while (reading) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    if (record.value() != null) {
                        published.add(MessageSerde.fromBytes(record.value()));
                    }
                }
            }
        } catch (WakeupException stopping) {
            // closing
        } finally {
            consumer.close();
        }
    }

    @Override
    public void close() throws Exception {
        if (scheduler != null && scheduler.isRunning()) {
            scheduler.stop();
        }
        reading = false;
        consumer.wakeup();
        reader.join(5_000);
        producer.close();
        broker.close();
    }
}

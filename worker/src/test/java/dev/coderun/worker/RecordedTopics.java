package dev.coderun.worker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.OutputChunk;
import dev.coderun.events.OutputChunk.OutputStream;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.Topics;
import dev.coderun.events.WorkerHeartbeat;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Everything the workers publish (events, output, heartbeats), read from the beginning in the background. */
public final class RecordedTopics implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final List<Message> messages = new CopyOnWriteArrayList<>();
    private final Thread reader;
    private volatile boolean reading = true;

    public RecordedTopics(String bootstrapServers) {
        consumer = new KafkaConsumer<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
                new StringDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = Topics.ALL.stream()
                .filter(topic -> List.of(Topics.EVENTS, Topics.OUTPUT, Topics.HEARTBEATS).contains(topic.name()))
                .flatMap(topic -> IntStream.range(0, topic.partitions())
                        .mapToObj(partition -> new TopicPartition(topic.name(), partition)))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        reader = Thread.ofPlatform().daemon().name("recorded-topics").start(this::read);
    }

    public List<RunEvent> eventsOf(String runId) {
        return messages.stream()
                .filter(m -> m instanceof RunEvent e && e.runId().equals(runId))
                .map(RunEvent.class::cast)
                .toList();
    }

    public Optional<RunFinished> finished(String runId) {
        return eventsOf(runId).stream()
                .filter(RunFinished.class::isInstance)
                .map(RunFinished.class::cast)
                .findFirst();
    }

    /** Waits up to {@code bound} for the run's {@code RunFinished}. */
    public RunFinished awaitFinished(String runId, Duration bound) {
        return await().atMost(bound).until(() -> finished(runId), Optional::isPresent).orElseThrow();
    }

    /** What the run wrote on {@code stream}, from its published chunks in order. */
    public String output(String runId, OutputStream stream) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        chunksOf(runId).stream()
                .filter(chunk -> chunk.stream() == stream)
                .sorted(Comparator.comparingInt(OutputChunk::seq))
                .forEach(chunk -> bytes.writeBytes(chunk.data()));
        return bytes.toString(UTF_8);
    }

    public List<OutputChunk> chunksOf(String runId) {
        return messages.stream()
                .filter(m -> m instanceof OutputChunk c && c.runId().equals(runId))
                .map(OutputChunk.class::cast)
                .toList();
    }

    public List<WorkerHeartbeat> heartbeatsOf(String workerId) {
        return messages.stream()
                .filter(m -> m instanceof WorkerHeartbeat h && h.workerId().equals(workerId))
                .map(WorkerHeartbeat.class::cast)
                .toList();
    }

    private void read() {
        try {
            while (reading) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    if (record.value() != null) {
                        messages.add(MessageSerde.fromBytes(record.value()));
                    }
                }
            }
        } catch (WakeupException closing) {
            // close() ends the reading.
        } finally {
            consumer.close();
        }
    }

    @Override
    public void close() throws InterruptedException {
        reading = false;
        consumer.wakeup();
        reader.join(Duration.ofSeconds(10));
    }
}

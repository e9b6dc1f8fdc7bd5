package dev.coderun.systemtests;

import dev.coderun.events.MessageSerde;
import dev.coderun.events.SubmitRun;
import dev.coderun.events.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** What the topics and the run rows hold, read as the services read them (Kafka read-committed). */
final class Commands {

    private Commands() {}

    /** The run ids of every SubmitRun of {@code handle} on the commands topic so far, duplicates included. */
    static List<String> submittedRunIds(Stack stack, String handle) {
        List<String> ids = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : readAll(stack, Topics.COMMANDS)) {
            if (handle.equals(r.key()) && MessageSerde.fromBytes(r.value()) instanceof SubmitRun submit) {
                ids.add(submit.spec().runId());
            }
        }
        return ids;
    }

    /** Every record of a handle-partitioned {@code topic} so far, read-committed, from its beginning to its end. */
    static List<ConsumerRecord<String, byte[]>> readAll(Stack stack, String topic) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker.bootstrapServers(),
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_REQUEST_BYTES),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = IntStream.range(0, Topics.HANDLE_PARTITIONS)
                    .mapToObj(p -> new TopicPartition(topic, p)).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    /** Rows in {@code runs} of {@code handle}, optionally only those in {@code status}. */
    static long runRows(Stack stack, String handle, String status) {
        try (var conn = stack.database();
                var stmt = conn.prepareStatement(status == null
                        ? "select count(*) from runs where handle = ?"
                        : "select count(*) from runs where handle = ? and status = ?")) {
            stmt.setString(1, handle);
            if (status != null) {
                stmt.setString(2, status);
            }
            try (var rows = stmt.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}

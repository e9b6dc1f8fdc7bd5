package dev.coderun.gateway.streams;

import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.RunEvent;
import dev.coderun.events.Topics;
import dev.coderun.gateway.api.ApiException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Replays a handle's events with a dedicated consumer: after a {@code Last-Event-ID} ({@link #open}), or since an
 * instant ({@link #since}, a run's stream catching up), from there on the handle's partition up to the partition's
 * end as it was when the replay opened (the last stable offset, under
 * read-committed). The live subscription was registered before that, so it holds every record from that end on;
 * {@link #boundary()} is the last offset the replay covers, and the live part drops records at or before it.
 * Blocking; run it off the event loop, and close it.
 */
final class HandleReplay implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final TopicPartition partition;
    private final String handle;
    private final long end;
    private final Duration timeout;

    private HandleReplay(
            KafkaConsumer<String, byte[]> consumer, TopicPartition partition, String handle, long end,
            Duration timeout) {
        this.consumer = consumer;
        this.partition = partition;
        this.handle = handle;
        this.end = end;
        this.timeout = timeout;
    }

    /**
     * Opens a replay after {@code last}; an id that names another partition than the handle's, an offset not yet
     * written, or one whose successors the topic no longer retains is {@code validation_failed}.
     */
    static HandleReplay open(EventHub hub, String handle, EventId last, Duration timeout) {
        int expected = hub.partitionOf(handle);
        if (last.partition() != expected) {
            throw EventId.unknown("event id " + last + " is not from this handle's stream");
        }
        KafkaConsumer<String, byte[]> consumer = hub.newConsumer("replay");
        try {
            TopicPartition tp = new TopicPartition(Topics.EVENTS, expected);
            consumer.assign(List.of(tp));
            long begin = consumer.beginningOffsets(Set.of(tp), timeout).get(tp);
            long end = consumer.endOffsets(Set.of(tp), timeout).get(tp);
            if (last.offset() >= end) {
                throw EventId.unknown("event id " + last + " was never issued");
            }
            if (last.offset() + 1 < begin) {
                throw EventId.unknown("the events after " + last + " are no longer retained; reconnect without"
                        + " Last-Event-ID and read the runs' records for what was missed");
            }
            consumer.seek(tp, last.offset() + 1);
            return new HandleReplay(consumer, tp, handle, end, timeout);
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            if (e instanceof ApiException) {
                throw e;
            }
            throw ApiException.upstreamUnavailable("could not replay events from Kafka: " + e.getMessage());
        }
    }

    /**
     * Opens a replay of the handle's events written since {@code from} (by record timestamp; the first record at or
     * after it), up to the partition's end as it is now: what a run's stream reads to catch up with the events topic,
     * whatever the read model has projected so far.
     */
    static HandleReplay since(EventHub hub, String handle, Instant from, Duration timeout) {
        KafkaConsumer<String, byte[]> consumer = hub.newConsumer("catch-up");
        try {
            TopicPartition tp = new TopicPartition(Topics.EVENTS, hub.partitionOf(handle));
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(Set.of(tp), timeout).get(tp);
            var found = consumer.offsetsForTimes(Map.of(tp, from.toEpochMilli()), timeout).get(tp);
            consumer.seek(tp, found == null ? end : found.offset());
            return new HandleReplay(consumer, tp, handle, end, timeout);
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw ApiException.upstreamUnavailable("could not read events from Kafka: " + e.getMessage());
        }
    }

    /** The last offset this replay covers. */
    long boundary() {
        return end - 1;
    }

    /** The next records of the handle, in offset order; null once the replay reached its end. */
    List<HubRecord> next() {
        Instant deadline = Instant.now().plus(timeout);
        while (consumer.position(partition) < end) {
            List<HubRecord> batch = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                if (record.offset() >= end || !handle.equals(record.key()) || record.value() == null) {
                    continue;
                }
                Message message;
                try {
                    message = MessageSerde.fromBytes(record.value());
                } catch (RuntimeException e) {
                    continue; // as the hub does: the projector dead-letters what no one can read
                }
                if (message instanceof RunEvent event && event.handle().equals(handle)) {
                    batch.add(new HubRecord(record.topic(), record.partition(), record.offset(), message));
                }
            }
            if (!batch.isEmpty()) {
                return batch;
            }
            if (Instant.now().isAfter(deadline)) {
                throw ApiException.upstreamUnavailable("replaying events from Kafka took longer than " + timeout);
            }
        }
        return null;
    }

    @Override
    public void close() {
        consumer.close(Duration.ZERO);
    }
}

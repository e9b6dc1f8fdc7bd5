package dev.coderun.gateway.projection;

import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunEvent;
import dev.coderun.events.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Consumes run events and output chunks (read-committed, so the scheduler's aborted transactions never show) and
 * hands them to the projection, one record at a time and synchronously: a record counts as processed only once its
 * write committed. A failure is left to {@link ProjectorErrorHandling}.
 */
@Component
class RunProjector {

    private final PostgresRunProjection projection;
    private final ProjectorProperties properties;

    RunProjector(PostgresRunProjection projection, ProjectorProperties properties) {
        this.projection = projection;
        this.properties = properties;
    }

    @KafkaListener(id = "run-events-projector", groupId = "coderun-projector", topics = Topics.EVENTS,
            concurrency = "2")
    void onEvent(ConsumerRecord<String, byte[]> record) {
        if (record.value() != null) {
            write(projection.apply(read(record, RunEvent.class)));
        }
    }

    @KafkaListener(id = "run-output-projector", groupId = "coderun-projector", topics = Topics.OUTPUT,
            concurrency = "2")
    void onOutput(ConsumerRecord<String, byte[]> record) {
        if (record.value() != null) {
            write(projection.store(read(record, OutputChunk.class)));
        }
    }

    /** Waits for the write; one that takes too long counts as the read model being unavailable. */
    private void write(Mono<Void> write) {
        write.timeout(properties.writeTimeout(), Mono.error(() -> new QueryTimeoutException(
                        "the read model did not complete a write within " + properties.writeTimeout())))
                .block();
    }

    private static <T extends Message> T read(ConsumerRecord<String, byte[]> record, Class<T> expected) {
        Message message;
        try {
            message = MessageSerde.fromBytes(record.value());
        } catch (RuntimeException e) {
            throw new UnreadableRecordException("not a message this build reads: " + e.getMessage(), e);
        }
        if (!expected.isInstance(message)) {
            throw new UnreadableRecordException(
                    "a " + message.getClass().getSimpleName() + " does not belong on " + record.topic(), null);
        }
        return expected.cast(message);
    }
}

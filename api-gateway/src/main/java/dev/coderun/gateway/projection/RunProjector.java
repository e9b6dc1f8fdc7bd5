package dev.coderun.gateway.projection;

import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunEvent;
import dev.coderun.events.Topics;
import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * Consumes run events and output chunks (read-committed, so the scheduler's aborted transactions never show) and
 * hands them to the projection. A record this build cannot read is logged and skipped, never retried forever.
 */
@Component
class RunProjector {

    private static final Logger log = LoggerFactory.getLogger(RunProjector.class);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

    private final PostgresRunProjection projection;

    RunProjector(PostgresRunProjection projection) {
        this.projection = projection;
    }

    @KafkaListener(id = "run-events-projector", groupId = "coderun-projector", topics = Topics.EVENTS,
            concurrency = "2")
    void onEvent(ConsumerRecord<String, byte[]> record) {
        if (read(record) instanceof RunEvent event) {
            projection.apply(event).block(WRITE_TIMEOUT);
        }
    }

    @KafkaListener(id = "run-output-projector", groupId = "coderun-projector", topics = Topics.OUTPUT,
            concurrency = "2")
    void onOutput(ConsumerRecord<String, byte[]> record) {
        if (read(record) instanceof OutputChunk chunk) {
            projection.store(chunk).block(WRITE_TIMEOUT);
        }
    }

    private static Message read(ConsumerRecord<String, byte[]> record) {
        try {
            return record.value() == null ? null : MessageSerde.fromBytes(record.value());
        } catch (RuntimeException e) {
            log.warn("skipping unreadable record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                    e.getMessage());
            return null;
        }
    }
}

package dev.coderun.worker.execution;

import dev.coderun.events.MessageSerde;
import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunEvent;
import dev.coderun.events.Topics;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Publishes a run's events (key = handle) and output chunks (key = run id). Sends are asynchronous. */
@Component
final class KafkaRunPublisher {

    private static final Logger log = LoggerFactory.getLogger(KafkaRunPublisher.class);

    private final Producer<String, byte[]> producer;

    KafkaRunPublisher(Producer<String, byte[]> producer) {
        this.producer = producer;
    }

    /** Publishes {@code event} with {@code headers} (its trace context, or none). */
    Future<RecordMetadata> event(RunEvent event, Headers headers) {
        return send(Topics.EVENTS, event.handle(), MessageSerde.toBytes(event), event.runId(), headers);
    }

    /** Publishes {@code chunk} with {@code headers} (its run's trace context, or none). */
    Future<RecordMetadata> chunk(OutputChunk chunk, Headers headers) {
        return send(Topics.OUTPUT, chunk.runId(), MessageSerde.toBytes(chunk), chunk.runId(), headers);
    }

    private Future<RecordMetadata> send(String topic, String key, byte[] value, String runId, Headers headers) {
        return producer.send(new ProducerRecord<>(topic, null, key, value, headers), (metadata, failure) -> {
            if (failure != null) {
                log.error("publishing to {} for run {} failed", topic, runId, failure);
            }
        });
    }
}

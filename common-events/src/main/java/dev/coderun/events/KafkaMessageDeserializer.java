package dev.coderun.events;

import org.apache.kafka.common.serialization.Deserializer;

/** Kafka adapter for {@link MessageSerde}; a tombstone reads as null. */
public final class KafkaMessageDeserializer implements Deserializer<Message> {

    @Override
    public Message deserialize(String topic, byte[] bytes) {
        return bytes == null ? null : MessageSerde.fromBytes(bytes);
    }
}

package dev.coderun.events;

import org.apache.kafka.common.serialization.Serializer;

/** Kafka adapter for {@link MessageSerde}. */
public final class KafkaMessageSerializer implements Serializer<Message> {

    @Override
    public byte[] serialize(String topic, Message message) {
        return message == null ? null : MessageSerde.toBytes(message);
    }
}

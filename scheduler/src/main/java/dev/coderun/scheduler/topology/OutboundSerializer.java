package dev.coderun.scheduler.topology;

import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import org.apache.kafka.common.serialization.Serializer;

/** The scheduler's sinks: a {@link Message} as {@link MessageSerde} bytes, a dead letter's raw bytes as they were. */
final class OutboundSerializer implements Serializer<Object> {

    @Override
    public byte[] serialize(String topic, Object value) {
        return switch (value) {
            case null -> null;
            case Message message -> MessageSerde.toBytes(message);
            case byte[] raw -> raw;
            default -> throw new IllegalArgumentException("cannot publish a " + value.getClass().getName());
        };
    }
}

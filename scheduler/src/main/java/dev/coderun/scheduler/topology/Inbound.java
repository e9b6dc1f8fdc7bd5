package dev.coderun.scheduler.topology;

import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * A record on a scheduler input topic, read or not. An unreadable record is not an error of the stream: the processor
 * sends it to the dead-letter topic and carries on.
 */
sealed interface Inbound {

    /** The record's value as it arrived. */
    byte[] raw();

    record Readable(Message message, byte[] raw) implements Inbound {}

    record Unreadable(String reason, byte[] raw) implements Inbound {}

    /** Never throws: whatever the bytes are, they become an {@link Inbound}. A tombstone reads as null. */
    final class Reader implements Deserializer<Inbound> {

        @Override
        public Inbound deserialize(String topic, byte[] bytes) {
            if (bytes == null) {
                return null;
            }
            try {
                return new Readable(MessageSerde.fromBytes(bytes), bytes);
            } catch (RuntimeException e) {
                return new Unreadable(e.getClass().getSimpleName() + ": " + e.getMessage(), bytes);
            }
        }
    }
}

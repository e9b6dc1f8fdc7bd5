package dev.coderun.scheduler.topology;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import tools.jackson.databind.json.JsonMapper;

/** JSON for the scheduler's own state stores and changelogs; not part of the public wire contract. */
final class JsonStoreSerde {

    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    private JsonStoreSerde() {}

    static <T> Serde<T> of(Class<T> type) {
        Serializer<T> serializer = (topic, value) -> value == null ? null : MAPPER.writeValueAsBytes(value);
        Deserializer<T> deserializer = (topic, bytes) -> bytes == null ? null : MAPPER.readValue(bytes, type);
        return Serdes.serdeFrom(serializer, deserializer);
    }
}

package dev.coderun.events;

import java.nio.charset.StandardCharsets;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one serde for every topic. A message travels as JSON in an envelope
 * {@code {"type": "RunQueued", "version": 1, "payload": {...}}} with snake_case fields and ISO-8601 instants.
 * Unknown payload fields are ignored and missing numbers read as 0, so that an additive change is compatible; a type
 * or version this build does not know is refused with {@link UnknownMessageException}.
 */
public final class MessageSerde {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // A number added later reads as 0 from an older producer's message, so an additive change stays compatible.
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private MessageSerde() {}

    public static byte[] toBytes(Message message) {
        MessageCatalog.MessageType type = MessageCatalog.typeOf(message.getClass());
        // Written in one pass, straight to UTF-8: no intermediate tree, no String (the gateway serializes every
        // accepted run's command on its submit path).
        return MAPPER.writeValueAsBytes(new Envelope(type.name(), type.version(), message));
    }

    public static String toJson(Message message) {
        return new String(toBytes(message), StandardCharsets.UTF_8);
    }

    /** The envelope as written: fields in this order. */
    private record Envelope(String type, int version, Object payload) {}

    public static Message fromBytes(byte[] bytes) {
        return fromJson(new String(bytes, StandardCharsets.UTF_8));
    }

    public static Message fromJson(String json) {
        JsonNode envelope = MAPPER.readTree(json);
        String name = envelope.path("type").asString("");
        int version = envelope.path("version").asInt(-1);
        Class<? extends Message> type = MessageCatalog.classOf(name)
                .orElseThrow(() -> new UnknownMessageException("unknown message type '" + name + "'"));
        int known = MessageCatalog.typeOf(type).version();
        if (version != known) {
            throw new UnknownMessageException(name + " version " + version + " (this build reads " + known + ")");
        }
        return MAPPER.treeToValue(envelope.get("payload"), type);
    }

    /** A message this build cannot read: a type or version from a newer producer. */
    public static final class UnknownMessageException extends RuntimeException {
        public UnknownMessageException(String message) {
            super(message);
        }
    }
}

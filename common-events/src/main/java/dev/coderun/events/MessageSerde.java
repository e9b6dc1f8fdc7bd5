package dev.coderun.events;

import java.nio.charset.StandardCharsets;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
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

    /** Reads a payload in the middle of its envelope: the envelope's closing brace follows it. */
    private static final ObjectReader PAYLOAD = MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

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

    /**
     * Reads a message in one pass when its envelope has {@code type} and {@code version} before {@code payload}, as
     * {@link #toBytes} writes it (every consumer reads every record, so no tree is built for it); any other order is
     * read through a tree, with the same answer.
     */
    public static Message fromBytes(byte[] bytes) {
        try (JsonParser parser = MAPPER.createParser(bytes)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return fromTree(MAPPER.readTree(bytes));
            }
            String name = null;
            int version = -1;
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("type") && value == JsonToken.VALUE_STRING) {
                    name = parser.getString();
                } else if (field.equals("version") && value == JsonToken.VALUE_NUMBER_INT) {
                    version = parser.getIntValue();
                } else if (field.equals("payload") && name != null && version != -1) {
                    Message message = PAYLOAD.forType(known(name, version)).readValue(parser);
                    requireEnd(parser);
                    return message;
                } else if (field.equals("payload")) {
                    break;
                } else {
                    parser.skipChildren();
                }
            }
        }
        return fromTree(MAPPER.readTree(bytes));
    }

    /** Skips the envelope's fields after the payload; refuses anything after the envelope, as a tree read does. */
    private static void requireEnd(JsonParser parser) {
        JsonToken token;
        while ((token = parser.nextToken()) == JsonToken.PROPERTY_NAME) {
            parser.nextToken();
            parser.skipChildren();
        }
        if (token != JsonToken.END_OBJECT || parser.nextToken() != null) {
            throw new IllegalArgumentException("not a message envelope: content after the payload is not one object");
        }
    }

    public static Message fromJson(String json) {
        return fromTree(MAPPER.readTree(json));
    }

    /** The message class of {@code name} at {@code version}; refused when this build does not read that. */
    private static Class<? extends Message> known(String name, int version) {
        Class<? extends Message> type = MessageCatalog.classOf(name)
                .orElseThrow(() -> new UnknownMessageException("unknown message type '" + name + "'"));
        int known = MessageCatalog.typeOf(type).version();
        if (version != known) {
            throw new UnknownMessageException(name + " version " + version + " (this build reads " + known + ")");
        }
        return type;
    }

    private static Message fromTree(JsonNode envelope) {
        String name = envelope.path("type").asString("");
        int version = envelope.path("version").asInt(-1);
        return MAPPER.treeToValue(envelope.get("payload"), known(name, version));
    }

    /** A message this build cannot read: a type or version from a newer producer. */
    public static final class UnknownMessageException extends RuntimeException {
        public UnknownMessageException(String message) {
            super(message);
        }
    }
}

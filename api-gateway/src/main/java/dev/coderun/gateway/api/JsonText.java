package dev.coderun.gateway.api;

import org.springframework.stereotype.Component;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.KeyDeserializer;
import tools.jackson.databind.deser.jdk.StringDeserializer;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.module.SimpleModule;

/**
 * Every string and object key in a request body is text PostgreSQL can store ({@link StorableText}), checked while
 * the body is read, so no handler, validator or route can let a NUL byte or a lone surrogate through to a query. A
 * field whose text is never stored opts out of the NUL rule with {@code @JsonDeserialize(using = JsonText.Utf8.class)}
 * (run stdin: it goes to the container, where NUL is data). Registered with the gateway's JsonMapper as a module bean.
 */
@Component
public class JsonText extends SimpleModule {

    public JsonText() {
        super("coderun-json-text");
        addDeserializer(String.class, new Storable());
        addKeyDeserializer(String.class, new StorableKey());
    }

    /** A string that is not acceptable text; {@link ApiErrorHandler} names the field. */
    public static final class TextRefused extends InvalidFormatException {
        TextRefused(JsonParser parser, String problem, String value) {
            super(parser, problem, value, String.class);
        }
    }

    /** Strings PostgreSQL can store: no NUL, no unpaired surrogate. */
    public static final class Storable extends StringDeserializer {
        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) {
            String value = super.deserialize(p, ctxt);
            return refuse(p, value, value == null ? null : StorableText.problem(value));
        }
    }

    /** Strings that are valid UTF-8 once encoded (no unpaired surrogate); NUL is allowed. */
    public static final class Utf8 extends StringDeserializer {
        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) {
            String value = super.deserialize(p, ctxt);
            return refuse(p, value, value == null ? null : StorableText.encodingProblem(value));
        }
    }

    static final class StorableKey extends KeyDeserializer {
        @Override
        public Object deserializeKey(String key, DeserializationContext ctxt) {
            String problem = StorableText.problem(key);
            if (problem != null) {
                throw new TextRefused(ctxt.getParser(), "keys " + problem, key);
            }
            return key;
        }
    }

    private static String refuse(JsonParser p, String value, String problem) {
        if (value != null && problem != null) {
            throw new TextRefused(p, problem, value);
        }
        return value;
    }
}

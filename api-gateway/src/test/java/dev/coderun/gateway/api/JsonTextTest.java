package dev.coderun.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.codec.DecodingException;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebInputException;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonDeserialize;
import tools.jackson.databind.json.JsonMapper;

/** Strings in request bodies are read as text PostgreSQL can store, and a refusal names the field. */
class JsonTextTest {

    private static final JsonMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .addModule(new JsonText())
            .build();

    record Body(String runtimeKey, List<String> args, Map<String, String> env,
            @JsonDeserialize(using = JsonText.Utf8.class) String stdin) {}

    @Test
    void ordinaryTextIsReadUnchanged() {
        Body body = read("{\"runtime_key\":\"busybox\",\"args\":[\"a\"],\"env\":{\"A\":\"\\ud83d\\ude00\"}}");

        assertThat(body.runtimeKey()).isEqualTo("busybox");
        assertThat(body.env()).containsEntry("A", "\ud83d\ude00");
    }

    @Test
    void aNulInAStringIsRefusedNamingTheField() {
        assertRefused("{\"runtime_key\":\"busy\\u0000box\"}", "runtime_key", "NUL");
    }

    @Test
    void aNulInAListElementOrMapValueIsRefusedNamingItsPath() {
        assertRefused("{\"args\":[\"ok\",\"a\\u0000\"]}", "args[1]", "NUL");
        assertRefused("{\"env\":{\"A\":\"\\u0000\"}}", "env.A", "NUL");
    }

    @Test
    void aNulInAMapKeyIsRefused() {
        assertRefused("{\"env\":{\"A\\u0000\":\"x\"}}", "env", "NUL");
    }

    @Test
    void aLoneSurrogateIsRefusedEverywhere() {
        assertRefused("{\"runtime_key\":\"\\ud800\"}", "runtime_key", "unpaired surrogate");
        assertRefused("{\"stdin\":\"x\\udc00\"}", "stdin", "unpaired surrogate");
    }

    @Test
    void aFieldThatOptsOutKeepsItsNul() {
        assertThat(read("{\"stdin\":\"nul\\u0000inside\"}").stdin()).isEqualTo("nul\u0000inside");
    }

    private static Body read(String json) {
        return JSON.readValue(json, Body.class);
    }

    private static void assertRefused(String json, String field, String problem) {
        JsonText.TextRefused refused = catchThrowableOfType(JsonText.TextRefused.class, () -> read(json));
        // As WebFlux hands it to the error handler: wrapped by the decoder.
        ApiException error = ApiErrorHandler.toApiException(
                new ServerWebInputException("Failed to read HTTP message", null,
                        new DecodingException("JSON decoding error", refused)), "req_1");

        assertThat(error.status()).isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT);
        assertThat(error.code()).isEqualTo("validation_failed");
        assertThat(error.details()).singleElement().satisfies(v -> {
            assertThat(v.field()).isEqualTo(field);
            assertThat(v.message()).contains(problem);
        });
    }
}

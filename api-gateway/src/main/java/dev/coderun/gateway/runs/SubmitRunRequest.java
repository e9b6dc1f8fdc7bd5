package dev.coderun.gateway.runs;

import dev.coderun.gateway.api.JsonText;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.annotation.JsonDeserialize;

/** The body of {@code POST .../code-runs}; {@link RunRequestValidator} decides what is acceptable. */
public record SubmitRunRequest(
        String runtimeKey,
        String name,
        String command,
        List<String> args,
        Map<String, String> env,
        // Goes to the container, never to PostgreSQL: NUL is data here (every other string refuses it: JsonText).
        @JsonDeserialize(using = JsonText.Utf8.class) String stdin,
        String cwd,
        Integer timeoutSeconds,
        Long maxOutputBytes,
        Integer maxAttempts,
        Map<String, String> labels) {}

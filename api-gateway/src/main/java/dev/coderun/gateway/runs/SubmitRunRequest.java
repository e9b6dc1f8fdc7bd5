package dev.coderun.gateway.runs;

import dev.coderun.gateway.api.JsonText;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * The body of {@code POST .../code-runs}; {@link RunRequestValidator} decides what is acceptable. {@code secret_env}
 * entries are env entries that are write-only: sealed into the run's spec, never stored or shown but by name.
 */
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
        Map<String, String> labels,
        Map<String, String> secretEnv) {

    /** Names the env and secret_env entries, never their values; leaves stdin out. */
    @Override
    public String toString() {
        return "SubmitRunRequest[runtimeKey=" + runtimeKey + ", name=" + name + ", command=" + command + ", args="
                + args + ", env=" + (env == null ? null : env.keySet()) + ", cwd=" + cwd + ", timeoutSeconds="
                + timeoutSeconds + ", maxOutputBytes=" + maxOutputBytes + ", maxAttempts=" + maxAttempts + ", labels="
                + labels + ", secretEnv=" + (secretEnv == null ? null : secretEnv.keySet()) + "]";
    }
}

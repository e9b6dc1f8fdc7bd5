package dev.coderun.gateway.runs;

import java.util.List;
import java.util.Map;

/** The body of {@code POST .../code-runs}; {@link RunRequestValidator} decides what is acceptable. */
public record SubmitRunRequest(
        String runtimeKey,
        String name,
        String command,
        List<String> args,
        Map<String, String> env,
        String stdin,
        String cwd,
        Integer timeoutSeconds,
        Long maxOutputBytes,
        Integer maxAttempts,
        Map<String, String> labels) {}

package dev.coderun.gateway.exec;

import dev.coderun.gateway.api.JsonText;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * The body of {@code POST /v1/runtimes/{runtime}/exec} (seed 001). Fields mean what they mean on a submitted run;
 * {@code timeout_secs} is the run's {@code timeout_seconds}, and a relative {@code cwd} is resolved by
 * {@link ExecProperties#resolveCwd}. {@code stdin} may hold NUL, as on a submitted run: it goes to the process.
 */
record ExecRequest(
        String command,
        List<String> args,
        String cwd,
        Map<String, String> env,
        @JsonDeserialize(using = JsonText.Utf8.class) String stdin,
        Integer timeoutSecs,
        Long maxOutputBytes) {}

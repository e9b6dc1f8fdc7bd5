package dev.coderun.gateway.exec;

import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /v1/runtimes/{runtime}/exec} (seed 001). Fields mean what they mean on a submitted run;
 * {@code timeout_secs} is the run's {@code timeout_seconds}, and a relative {@code cwd} is resolved by
 * {@link ExecProperties#resolveCwd}.
 */
record ExecRequest(
        String command,
        List<String> args,
        String cwd,
        Map<String, String> env,
        String stdin,
        Integer timeoutSecs,
        Long maxOutputBytes) {}

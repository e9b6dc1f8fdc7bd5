package dev.coderun.gateway.exec;

import dev.coderun.gateway.api.JsonText;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * The body of {@code POST /v1/runtimes/{runtime}/exec} (seed 001). Fields mean what they mean on a submitted run;
 * {@code timeout_secs} is the run's {@code timeout_seconds}, and a relative {@code cwd} is resolved by
 * {@link ExecProperties#resolveCwd}. {@code stdin} may hold NUL, as on a submitted run: it goes to the process.
 * {@code secret_env} is the run's write-only env ({@link dev.coderun.gateway.runs.SubmitRunRequest}).
 */
record ExecRequest(
        String command,
        List<String> args,
        String cwd,
        Map<String, String> env,
        @JsonDeserialize(using = JsonText.Utf8.class) String stdin,
        Integer timeoutSecs,
        Long maxOutputBytes,
        Map<String, String> secretEnv) {

    /** Names the env and secret_env entries, never their values; leaves stdin out. */
    @Override
    public String toString() {
        return "ExecRequest[command=" + command + ", args=" + args + ", cwd=" + cwd + ", env="
                + (env == null ? null : env.keySet()) + ", timeoutSecs=" + timeoutSecs + ", maxOutputBytes="
                + maxOutputBytes + ", secretEnv=" + (secretEnv == null ? null : secretEnv.keySet()) + "]";
    }
}

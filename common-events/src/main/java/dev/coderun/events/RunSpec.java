package dev.coderun.events;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to run one code run, fixed at submission: the runtime is snapshotted at the version the run was
 * submitted against, so neither scheduler nor worker ever reads the runtime table.
 *
 * @param args empty means {@code command} runs as {@code /bin/sh -c command}; otherwise exec form
 * @param stdin UTF-8 text fed to the process, never null (empty for none)
 * @param cwd absolute, normalized working directory, or null for the image's default
 * @param secretEnvNames the names of the run's own {@code secret_env} entries, sorted (their values are sealed)
 * @param sealedSecrets every secret env entry of the run, sealed by {@link SecretKeyRing} for context
 *     {@link #secretsContext(String)}: the runtime's {@code secrets} with the run's {@code secret_env} laid over them,
 *     less the names the run's {@code env} sets. Null when there are none, and always null in an event: only commands,
 *     dispatches and the scheduler's store carry it
 */
public record RunSpec(
        String runId,
        String handle,
        RuntimeSnapshot runtime,
        String name,
        String command,
        List<String> args,
        Map<String, String> env,
        String stdin,
        String cwd,
        int timeoutSeconds,
        long maxOutputBytes,
        int maxAttempts,
        Map<String, String> labels,
        String triggeredBy,
        Instant createdAt,
        List<String> secretEnvNames,
        String sealedSecrets) {

    public RunSpec {
        args = List.copyOf(args);
        env = Map.copyOf(env);
        labels = Map.copyOf(labels);
        // Absent in a message written before secrets existed.
        secretEnvNames = secretEnvNames == null ? List.of() : List.copyOf(secretEnvNames);
    }

    /** A run without secrets. */
    public RunSpec(
            String runId,
            String handle,
            RuntimeSnapshot runtime,
            String name,
            String command,
            List<String> args,
            Map<String, String> env,
            String stdin,
            String cwd,
            int timeoutSeconds,
            long maxOutputBytes,
            int maxAttempts,
            Map<String, String> labels,
            String triggeredBy,
            Instant createdAt) {
        this(runId, handle, runtime, name, command, args, env, stdin, cwd, timeoutSeconds, maxOutputBytes, maxAttempts,
                labels, triggeredBy, createdAt, List.of(), null);
    }

    /** The context a run's secrets are sealed for: they open for this run only. */
    public static String secretsContext(String runId) {
        return "run " + runId;
    }

    /** This spec without its sealed secrets (the names stay), as events carry it. */
    public RunSpec withoutSealedSecrets() {
        return sealedSecrets == null ? this : new RunSpec(runId, handle, runtime, name, command, args, env, stdin, cwd,
                timeoutSeconds, maxOutputBytes, maxAttempts, labels, triggeredBy, createdAt, secretEnvNames, null);
    }

    /** Leaves the sealed secrets out (they name their key only) and stdin (it may be a MiB). */
    @Override
    public String toString() {
        return "RunSpec[runId=" + runId + ", handle=" + handle + ", runtime=" + runtime.key() + "@" + runtime.version()
                + ", name=" + name + ", command=" + command + ", args=" + args + ", env=" + env.keySet() + ", stdinChars="
                + (stdin == null ? 0 : stdin.length()) + ", cwd=" + cwd + ", timeoutSeconds=" + timeoutSeconds + ", maxOutputBytes="
                + maxOutputBytes + ", maxAttempts=" + maxAttempts + ", labels=" + labels + ", triggeredBy="
                + triggeredBy + ", createdAt=" + createdAt + ", secretEnvNames=" + secretEnvNames + ", sealedSecrets="
                + (sealedSecrets == null ? "none" : "sealed") + "]";
    }
}

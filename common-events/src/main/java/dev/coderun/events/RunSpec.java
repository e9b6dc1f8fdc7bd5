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
        Instant createdAt) {

    public RunSpec {
        args = List.copyOf(args);
        env = Map.copyOf(env);
        labels = Map.copyOf(labels);
    }
}

package dev.coderun.gateway.runs;

/**
 * A run's captured output. {@code complete} is true once the run is terminal and every chunk its worker published has
 * been stored; until then the output is partial.
 */
public record RunOutput(
        String stdout,
        String stderr,
        boolean stdoutTruncated,
        boolean stderrTruncated,
        long stdoutBytes,
        long stderrBytes,
        boolean complete) {}

package dev.coderun.events;

/**
 * What a worker captured of a run's output. {@code chunks} is the number of {@link OutputChunk}s it published over
 * both streams, so a reader knows when it holds all of them.
 *
 * @param stdoutBytes bytes the process wrote to stdout, retained or not
 */
public record OutputSummary(
        long stdoutBytes, long stderrBytes, boolean stdoutTruncated, boolean stderrTruncated, int chunks) {

    public static final OutputSummary NONE = new OutputSummary(0, 0, false, false, 0);
}

package dev.coderun.gateway.exec;

import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunStatus;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * The answer of a buffered exec (seed 001's shape, plus the run's id and terminal status). Output is the finishing
 * attempt's retained bytes per stream, decoded as UTF-8 with malformed bytes replaced.
 *
 * @param exitCode the process's exit code; a run killed at its timeout that reported none answers 124, as
 *     {@code timeout(1)} does
 */
record ExecResult(
        long durationMs,
        int exitCode,
        String stdout,
        String stderr,
        boolean stdoutTruncated,
        boolean stderrTruncated,
        UUID runId,
        RunStatus status) {

    static final int TIMED_OUT_EXIT_CODE = 124;

    /** Builds the answer from the terminal event and the chunks of its attempt (any order, duplicates allowed). */
    static ExecResult of(RunFinished finished, int attempt, List<OutputChunk> chunks) {
        List<OutputChunk> ordered = chunks.stream()
                .filter(c -> c.attempt() == attempt)
                .sorted(Comparator.comparingInt(OutputChunk::seq))
                .toList();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int lastSeq = -1;
        for (OutputChunk chunk : ordered) {
            if (chunk.seq() == lastSeq) {
                continue;
            }
            lastSeq = chunk.seq();
            (chunk.stream() == OutputChunk.OutputStream.STDOUT ? stdout : stderr).writeBytes(chunk.data());
        }
        int exit = finished.exitCode() != null ? finished.exitCode()
                : finished.status() == RunStatus.TIMED_OUT ? TIMED_OUT_EXIT_CODE : -1;
        return new ExecResult(
                finished.durationMs() == null ? 0 : finished.durationMs(),
                exit,
                stdout.toString(StandardCharsets.UTF_8),
                stderr.toString(StandardCharsets.UTF_8),
                finished.output().stdoutTruncated(),
                finished.output().stderrTruncated(),
                UUID.fromString(finished.runId()),
                finished.status());
    }
}

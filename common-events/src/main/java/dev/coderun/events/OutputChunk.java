package dev.coderun.events;

import java.time.Instant;

/**
 * A piece of a run's retained output on {@link Topics#OUTPUT}, keyed by run id. {@code seq} counts from 0 over both
 * streams of one attempt; a reader stores each (run, attempt, seq) once and concatenates by seq.
 */
public record OutputChunk(String handle, String runId, int attempt, int seq, OutputStream stream, byte[] data, Instant at)
        implements Message {

    public enum OutputStream {
        STDOUT,
        STDERR
    }
}

package dev.coderun.worker.output;

import dev.coderun.events.OutputChunk;
import dev.coderun.events.OutputChunk.OutputStream;
import dev.coderun.events.OutputSummary;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Decides what of one attempt's output is retained and how it is cut into {@link OutputChunk}s. Per stream, the first
 * {@code maxBytesPerStream} bytes are retained, every byte is counted, and a stream that wrote more is truncated.
 * Retained bytes are coalesced: a chunk is cut when a stream's pending bytes fill {@code chunkBytes}, and the rest on
 * {@link #flush}. Chunks are numbered from 0 over both streams in the order they are cut. Bytes are bytes: a cap or a
 * chunk boundary may split a multi-byte character, and readers decode leniently.
 *
 * <p>Pure and not thread-safe: the caller serializes calls and publishes what they return, in order.
 */
public final class OutputCapture {

    private final String handle;
    private final String runId;
    private final int attempt;
    private final long maxBytesPerStream;
    private final int chunkBytes;
    private final StreamState stdout = new StreamState(OutputStream.STDOUT);
    private final StreamState stderr = new StreamState(OutputStream.STDERR);
    private int nextSeq;
    private long arrivals;

    /**
     * @param maxBytesPerStream bytes retained per stream; 0 retains nothing but still counts
     * @param chunkBytes the largest chunk cut
     */
    public OutputCapture(String handle, String runId, int attempt, long maxBytesPerStream, int chunkBytes) {
        if (maxBytesPerStream < 0 || chunkBytes <= 0) {
            throw new IllegalArgumentException("maxBytesPerStream must be >= 0 and chunkBytes > 0");
        }
        this.handle = handle;
        this.runId = runId;
        this.attempt = attempt;
        this.maxBytesPerStream = maxBytesPerStream;
        this.chunkBytes = chunkBytes;
    }

    /** Takes bytes the process wrote; returns the chunks they completed, to be published in order. */
    public List<OutputChunk> append(OutputStream stream, byte[] bytes, Instant at) {
        StreamState state = stream == OutputStream.STDOUT ? stdout : stderr;
        state.written += bytes.length;
        int kept = (int) Math.min(bytes.length, maxBytesPerStream - state.retained);
        if (kept < bytes.length) {
            state.truncated = true;
        }
        if (kept == 0) {
            return List.of();
        }
        if (state.pending.size() == 0) {
            state.pendingSince = arrivals++;
        }
        state.pending.write(bytes, 0, kept);
        state.retained += kept;
        List<OutputChunk> full = new ArrayList<>();
        while (state.pending.size() >= chunkBytes) {
            full.add(cut(state, chunkBytes, at));
        }
        return full;
    }

    /** Cuts every pending byte into chunks, the stream whose pending bytes came first first. */
    public List<OutputChunk> flush(Instant at) {
        List<OutputChunk> chunks = new ArrayList<>(2);
        Stream.of(stdout, stderr)
                .filter(state -> state.pending.size() > 0)
                .sorted(Comparator.comparingLong(state -> state.pendingSince))
                .forEach(state -> chunks.add(cut(state, state.pending.size(), at)));
        return chunks;
    }

    /** What was captured so far; {@code chunks} counts every chunk returned by {@link #append} and {@link #flush}. */
    public OutputSummary summary() {
        return new OutputSummary(stdout.written, stderr.written, stdout.truncated, stderr.truncated, nextSeq);
    }

    private OutputChunk cut(StreamState state, int length, Instant at) {
        byte[] pending = state.pending.toByteArray();
        state.pending.reset();
        state.pending.write(pending, length, pending.length - length);
        if (state.pending.size() > 0) {
            state.pendingSince = arrivals++;
        }
        return new OutputChunk(handle, runId, attempt, nextSeq++, state.stream, Arrays.copyOf(pending, length), at);
    }

    private static final class StreamState {
        final OutputStream stream;
        final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        long written;
        long retained;
        boolean truncated;
        long pendingSince;

        StreamState(OutputStream stream) {
            this.stream = stream;
        }
    }
}

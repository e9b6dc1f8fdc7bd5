package dev.coderun.worker.execution;

import dev.coderun.events.OutputChunk;
import dev.coderun.events.OutputChunk.OutputStream;
import dev.coderun.events.OutputSummary;
import dev.coderun.worker.output.OutputCapture;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds one attempt's output through its {@link OutputCapture} and publishes the chunks it cuts, in order, each with
 * the attempt's trace headers (the execution span's context, so the chunks' projection joins the run's trace). Output
 * arrives on the engine's stream thread and flushes come from a timer, hence the lock. Output that comes when nothing
 * was published for a flush interval (the first bytes of a run, a line after a pause) is published at once; output
 * that follows closely waits for the timer's next flush, so a chatty process still makes about one chunk per interval.
 */
final class OutputPump {

    private static final Logger log = LoggerFactory.getLogger(OutputPump.class);

    private final OutputCapture capture;
    private final KafkaRunPublisher publisher;
    private final Clock clock;
    private final Duration flushInterval;
    private final Headers trace;
    private final List<Future<RecordMetadata>> sends = new ArrayList<>();
    /** When a chunk was last published; null before the first. */
    private Instant lastPublished;

    OutputPump(OutputCapture capture, KafkaRunPublisher publisher, Clock clock, Duration flushInterval, Headers trace) {
        this.capture = capture;
        this.publisher = publisher;
        this.clock = clock;
        this.flushInterval = flushInterval;
        this.trace = trace;
    }

    synchronized void output(OutputStream stream, byte[] bytes) {
        Instant now = clock.instant();
        publish(capture.append(stream, bytes, now), now);
        if (lastPublished == null || !now.isBefore(lastPublished.plus(flushInterval))) {
            publish(capture.flush(now), now);
        }
    }

    synchronized void flush() {
        Instant now = clock.instant();
        publish(capture.flush(now), now);
    }

    /**
     * Publishes what is still pending and waits until Kafka acknowledged every chunk, so that a reader who sees the
     * run's {@code RunFinished} can count on its chunks. Call once, after the last {@link #output}. An interrupt stops
     * the waiting, not the publishing.
     */
    OutputSummary finish() {
        List<Future<RecordMetadata>> pending;
        OutputSummary summary;
        synchronized (this) {
            flush();
            pending = List.copyOf(sends);
            summary = capture.summary();
        }
        for (Future<RecordMetadata> send : pending) {
            try {
                send.get();
            } catch (ExecutionException e) {
                // Already logged by the publisher; the summary still says what the process wrote.
                log.warn("an output chunk was not published; readers will miss part of the output");
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return summary;
    }

    private void publish(List<OutputChunk> chunks, Instant now) {
        for (OutputChunk chunk : chunks) {
            sends.add(publisher.chunk(chunk, trace));
            lastPublished = now;
        }
    }
}

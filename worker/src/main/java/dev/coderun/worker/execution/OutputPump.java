package dev.coderun.worker.execution;

import dev.coderun.events.OutputChunk;
import dev.coderun.events.OutputChunk.OutputStream;
import dev.coderun.events.OutputSummary;
import dev.coderun.worker.output.OutputCapture;
import java.time.Clock;
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
 * arrives on the engine's stream thread and flushes come from a timer, hence the lock.
 */
final class OutputPump {

    private static final Logger log = LoggerFactory.getLogger(OutputPump.class);

    private final OutputCapture capture;
    private final KafkaRunPublisher publisher;
    private final Clock clock;
    private final Headers trace;
    private final List<Future<RecordMetadata>> sends = new ArrayList<>();

    OutputPump(OutputCapture capture, KafkaRunPublisher publisher, Clock clock, Headers trace) {
        this.capture = capture;
        this.publisher = publisher;
        this.clock = clock;
        this.trace = trace;
    }

    synchronized void output(OutputStream stream, byte[] bytes) {
        publish(capture.append(stream, bytes, clock.instant()));
    }

    synchronized void flush() {
        publish(capture.flush(clock.instant()));
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

    private void publish(List<OutputChunk> chunks) {
        for (OutputChunk chunk : chunks) {
            sends.add(publisher.chunk(chunk, trace));
        }
    }
}

package dev.coderun.gateway.projection;

import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunEvent;
import dev.coderun.events.Topics;
import dev.coderun.events.RunAccepted;
import dev.coderun.gateway.api.DatabaseUnavailable;
import dev.coderun.observability.KafkaTracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.tracing.Span;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Consumes run events and output chunks (read-committed, so the scheduler's aborted transactions never show) and
 * hands each poll's records to the projection at once and synchronously: the records count as processed only once
 * their write committed. A poll is written in one go ({@link PostgresRunProjection#applyAll},
 * {@link PostgresRunProjection#storeAll}); when that fails for any reason but the read model being unavailable, the
 * records are applied again one by one, so the failure is pinned on the record at fault, which
 * {@link ProjectorErrorHandling} retries or dead-letters alone while the records before it stay applied.
 *
 * <p>Tracing ({@link KafkaTracing}): an event or output chunk whose record carries a trace context is written in a
 * span continuing it ({@code gateway project <event>}, {@code gateway project OutputChunk}), from its poll's read to
 * the end of the poll's write; no blocking per record.
 * A run row the projector creates (from {@code RunAccepted}) takes its {@code trace_id} from that header.
 */
@Component
class RunProjector {

    private final PostgresRunProjection projection;
    private final ProjectorProperties properties;
    private final KafkaTracing tracing;
    private final Timer eventsLag;
    private final Timer outputLag;

    RunProjector(
            PostgresRunProjection projection, ProjectorProperties properties, MeterRegistry meters,
            KafkaTracing tracing) {
        this.projection = projection;
        this.properties = properties;
        this.tracing = tracing;
        this.eventsLag = lagTimer(meters, "events");
        this.outputLag = lagTimer(meters, "output");
    }

    /** From a record's timestamp (its producer's clock when it was sent) to its row written: the read model's lag. */
    private static Timer lagTimer(MeterRegistry meters, String topic) {
        return Timer.builder("coderun.projector.lag")
                .description("time from an event or output chunk being published to its row being written")
                .tag("topic", topic)
                .publishPercentileHistogram()
                .register(meters);
    }

    @KafkaListener(id = "run-events-projector", groupId = "coderun-projector", topics = Topics.EVENTS,
            concurrency = "2", batch = "true")
    void onEvents(List<ConsumerRecord<String, byte[]>> records) {
        Map<String, String> traceIds = new HashMap<>();
        List<Span> spans = new ArrayList<>();
        try {
            project(records, RunEvent.class, (event, record) -> {
                String traceId = KafkaTracing.traceId(record.headers());
                if (traceId == null) {
                    return;
                }
                if (event instanceof RunAccepted) {
                    traceIds.put(event.runId(), traceId);
                }
                spans.add(tracing.consumer(
                        record.headers(), "gateway project " + event.getClass().getSimpleName(), event.runId()));
            }, events -> projection.applyAll(events, traceIds), event -> projection.apply(event, traceIds), eventsLag);
        } finally {
            spans.forEach(Span::end);
        }
    }

    @KafkaListener(id = "run-output-projector", groupId = "coderun-projector", topics = Topics.OUTPUT,
            concurrency = "2", batch = "true")
    void onOutput(List<ConsumerRecord<String, byte[]>> records) {
        List<Span> spans = new ArrayList<>();
        try {
            project(records, OutputChunk.class,
                    (chunk, record) -> spans.add(
                            tracing.consumer(record.headers(), "gateway project OutputChunk", chunk.runId())),
                    projection::storeAll, projection::store, outputLag);
        } finally {
            spans.forEach(Span::end);
        }
    }

    /**
     * Writes the records' messages in one go, up to the first record this build cannot read, which then fails alone
     * (tombstones are skipped).
     */
    private <T extends Message> void project(List<ConsumerRecord<String, byte[]>> records, Class<T> type,
            BiConsumer<T, ConsumerRecord<String, byte[]>> read, Function<List<T>, Mono<Void>> all,
            Function<T, Mono<Void>> one, Timer lag) {
        List<T> messages = new ArrayList<>();
        List<ConsumerRecord<String, byte[]>> sources = new ArrayList<>();
        BatchListenerFailedException unreadable = null;
        for (ConsumerRecord<String, byte[]> record : records) {
            if (record.value() == null) {
                continue;
            }
            try {
                T message = read(record, type);
                messages.add(message);
                sources.add(record);
                read.accept(message, record);
            } catch (UnreadableRecordException e) {
                unreadable = new BatchListenerFailedException(e.getMessage(), e, record);
                break;
            }
        }
        try {
            write(all.apply(messages));
            written(sources, lag);
        } catch (RuntimeException failure) {
            if (sources.isEmpty()) {
                throw failure;
            }
            if (DatabaseUnavailable.anywhereIn(failure)) {
                // All of the poll waits and is applied again whole: what of it was written stays as it is.
                throw new BatchListenerFailedException(failure.getMessage(), failure, sources.get(0));
            }
            for (int i = 0; i < messages.size(); i++) {
                try {
                    write(one.apply(messages.get(i)));
                    written(sources.subList(i, i + 1), lag);
                } catch (RuntimeException atFault) {
                    throw new BatchListenerFailedException(atFault.getMessage(), atFault, sources.get(i));
                }
            }
        }
        if (unreadable != null) {
            throw unreadable;
        }
    }

    private static void written(List<ConsumerRecord<String, byte[]>> records, Timer lag) {
        long now = System.currentTimeMillis();
        for (ConsumerRecord<String, byte[]> record : records) {
            lag.record(Math.max(0, now - record.timestamp()), TimeUnit.MILLISECONDS);
        }
    }

    /** Waits for the write; one that takes too long counts as the read model being unavailable. */
    private void write(Mono<Void> write) {
        write.timeout(properties.writeTimeout(), Mono.error(() -> new QueryTimeoutException(
                        "the read model did not complete a write within " + properties.writeTimeout())))
                .block();
    }

    private static <T extends Message> T read(ConsumerRecord<String, byte[]> record, Class<T> expected) {
        Message message;
        try {
            message = MessageSerde.fromBytes(record.value());
        } catch (RuntimeException e) {
            throw new UnreadableRecordException("not a message this build reads: " + e.getMessage(), e);
        }
        if (!expected.isInstance(message)) {
            throw new UnreadableRecordException(
                    "a " + message.getClass().getSimpleName() + " does not belong on " + record.topic(), null);
        }
        return expected.cast(message);
    }
}

package dev.coderun.scheduler.topology;

import dev.coderun.events.Topics;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The scheduler's side of one trace per run: continues the trace whose W3C context a record carries in its
 * {@link Topics#HEADER_TRACEPARENT} header, and writes the context of its own spans on the records it forwards.
 * A run's context is also kept as a plain {@code traceparent} string (in the run-traces store), so a dispatch decided
 * later — a queued run's turn, a re-attempt — still joins the run's trace. With tracing off ({@link #OFF}, or Boot's
 * no-op tracer) nothing is extracted, kept or written.
 */
final class RunTraces {

    static final RunTraces OFF = new RunTraces(Tracer.NOOP, Propagator.NOOP);

    private static final Propagator.Getter<Headers> HEADERS = (headers, key) -> {
        Header header = headers.lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    };

    private final Tracer tracer;
    private final Propagator propagator;

    RunTraces(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
    }

    /** A started span continuing the trace {@code headers} carry, or null when they carry none. */
    Span continueFrom(Headers headers, String name) {
        if (tracer == Tracer.NOOP || headers.lastHeader(Topics.HEADER_TRACEPARENT) == null) {
            return null;
        }
        return propagator.extract(headers, HEADERS).name(name).kind(Span.Kind.CONSUMER).start();
    }

    /** A started span continuing the trace of a kept {@code traceparent}, or null when there is none. */
    Span continueFrom(String traceparent, String name) {
        if (tracer == Tracer.NOOP || traceparent == null) {
            return null;
        }
        return propagator.extract(Map.of(Topics.HEADER_TRACEPARENT, traceparent), Map::get)
                .name(name).kind(Span.Kind.PRODUCER).start();
    }

    /** Makes {@code span} (nullable) current, so lines logged meanwhile carry its ids, until the answer is closed. */
    Tracer.SpanInScope inScope(Span span) {
        return span == null ? () -> {} : tracer.withSpan(span);
    }

    /** The {@code traceparent} of {@code span}, to keep with the run; null without a span. */
    String traceparent(Span span) {
        if (span == null) {
            return null;
        }
        Map<String, String> carrier = new HashMap<>();
        propagator.inject(span.context(), carrier, Map::put);
        return carrier.get(Topics.HEADER_TRACEPARENT);
    }

    /** Fresh record headers carrying {@code traceparent} (empty when it is null). */
    Headers headers(String traceparent) {
        RecordHeaders headers = new RecordHeaders();
        if (traceparent != null) {
            headers.add(Topics.HEADER_TRACEPARENT, traceparent.getBytes(StandardCharsets.UTF_8));
        }
        return headers;
    }
}

package dev.coderun.observability;

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
 * W3C trace context on Kafka records, the one way the services carry a run's trace from one to the next: a record's
 * {@link Topics#HEADER_TRACEPARENT} header names the span that wrote it, a consumer continues it in a span of its own,
 * and a producer writes its span's context on what it sends. A run's context can also be kept as a plain
 * {@code traceparent} string, to continue later.
 *
 * <p>With tracing off ({@link #off()}, or Boot's no-op tracer and no propagator) every span is {@link Span#NOOP},
 * nothing is extracted or kept, and no header is written. A span "untraced" ({@link #untraced}) belongs to no trace;
 * spans under an unsampled parent are not recorded but keep their ids, so downstream work still joins the trace.
 */
public final class KafkaTracing {

    /** The span tag naming the run a span is about. */
    public static final String RUN_ID = "run_id";

    private static final Propagator.Getter<Headers> HEADERS = (headers, key) -> {
        Header header = headers.lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    };

    private final Tracer tracer;
    private final Propagator propagator;

    public KafkaTracing(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
    }

    /** Tracing off: every span is {@link Span#NOOP}. */
    public static KafkaTracing off() {
        return new KafkaTracing(Tracer.NOOP, Propagator.NOOP);
    }

    /**
     * A started consumer span continuing the trace {@code headers} carry, tagged with {@code runId} unless it is null;
     * {@link Span#NOOP} when they carry none.
     */
    public Span consumer(Headers headers, String name, String runId) {
        if (tracer == Tracer.NOOP || headers.lastHeader(Topics.HEADER_TRACEPARENT) == null) {
            return Span.NOOP;
        }
        return tagged(propagator.extract(headers, HEADERS).name(name).kind(Span.Kind.CONSUMER), runId).start();
    }

    /**
     * A started span of {@code kind} continuing the trace of a kept {@code traceparent} ({@link #traceparent}),
     * tagged with {@code runId} unless it is null; {@link Span#NOOP} when there is none.
     */
    public Span continueFrom(String traceparent, String name, Span.Kind kind, String runId) {
        if (tracer == Tracer.NOOP || traceparent == null) {
            return Span.NOOP;
        }
        return tagged(propagator.extract(Map.of(Topics.HEADER_TRACEPARENT, traceparent), Map::get)
                .name(name).kind(kind), runId).start();
    }

    /**
     * A started producer span under {@code parent} (which may have ended already) about run {@code runId};
     * {@link Span#NOOP} when the parent belongs to no trace.
     */
    public Span producer(Span parent, String name, String runId) {
        if (untraced(parent)) {
            return Span.NOOP;
        }
        return tagged(tracer.spanBuilder().setParent(parent.context()).name(name).kind(Span.Kind.PRODUCER), runId)
                .start();
    }

    /** A started child of {@code parent} (which may have ended); {@link Span#NOOP} when the parent has no trace. */
    public Span child(Span parent, String name) {
        return untraced(parent) ? Span.NOOP : tracer.spanBuilder().setParent(parent.context()).name(name).start();
    }

    /** Makes {@code span} the current one (its ids reach the log lines' MDC) until the answer is closed. */
    public Tracer.SpanInScope inScope(Span span) {
        return untraced(span) ? () -> {} : tracer.withSpan(span);
    }

    /** Writes {@code span}'s context on {@code headers}; nothing for an untraced span. */
    public void inject(Span span, Headers headers) {
        if (!untraced(span)) {
            propagator.inject(span.context(), headers,
                    (carrier, key, value) -> carrier.add(key, value.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** Fresh record headers carrying {@code span}'s context; empty for an untraced span. */
    public Headers headers(Span span) {
        RecordHeaders headers = new RecordHeaders();
        inject(span, headers);
        return headers;
    }

    /** The {@code traceparent} of {@code span}, to keep with its run; null for an untraced span. */
    public String traceparent(Span span) {
        if (untraced(span)) {
            return null;
        }
        Map<String, String> carrier = new HashMap<>();
        propagator.inject(span.context(), carrier, Map::put);
        return carrier.get(Topics.HEADER_TRACEPARENT);
    }

    /** Fresh record headers carrying a kept {@code traceparent}; empty when it is null. */
    public static Headers headers(String traceparent) {
        RecordHeaders headers = new RecordHeaders();
        if (traceparent != null) {
            headers.add(Topics.HEADER_TRACEPARENT, traceparent.getBytes(StandardCharsets.UTF_8));
        }
        return headers;
    }

    /** The trace id of {@code span}; null for an untraced span. */
    public static String traceId(Span span) {
        return untraced(span) ? null : span.context().traceId();
    }

    /** The trace id a record's {@code traceparent} header names ({@code 00-<trace id>-<span id>-<flags>}), or null. */
    public static String traceId(Headers headers) {
        String traceparent = HEADERS.get(headers, Topics.HEADER_TRACEPARENT);
        if (traceparent == null) {
            return null;
        }
        String[] parts = traceparent.split("-");
        return parts.length == 4 && parts[1].length() == 32 ? parts[1] : null;
    }

    /** Whether {@code span} belongs to no trace: null, or the no-op span (tracing off, no context to continue). */
    public static boolean untraced(Span span) {
        if (span == null || span == Span.NOOP) {
            return true;
        }
        String traceId = span.context().traceId();
        return traceId == null || traceId.isEmpty() || traceId.chars().allMatch(c -> c == '0');
    }

    private static Span.Builder tagged(Span.Builder span, String runId) {
        return runId == null ? span : span.tag(RUN_ID, runId);
    }
}

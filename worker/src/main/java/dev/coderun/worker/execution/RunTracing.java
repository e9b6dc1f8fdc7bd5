package dev.coderun.worker.execution;

import dev.coderun.events.Topics;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The worker's side of one trace per run: a dispatch record's {@link Topics#HEADER_TRACEPARENT} header is continued
 * by the worker's spans (the dispatch, the execution and its container phases), and the events the worker publishes
 * about the run carry the execution span's context. A record without a trace context, or tracing switched off (Boot
 * then wires a no-op tracer and no propagator), gives {@link Span#NOOP} everywhere and no headers.
 */
@Component
public final class RunTracing {

    private static final Propagator.Getter<Headers> HEADERS = (headers, key) -> {
        Header header = headers.lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    };

    private final Tracer tracer;
    private final Propagator propagator;

    @Autowired
    RunTracing(Tracer tracer, ObjectProvider<Propagator> propagator) {
        this(tracer, propagator.getIfAvailable(() -> Propagator.NOOP));
    }

    public RunTracing(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
    }

    /** Tracing off: every span is {@link Span#NOOP}. */
    public static RunTracing off() {
        return new RunTracing(Tracer.NOOP, Propagator.NOOP);
    }

    /** A started consumer span continuing the trace {@code headers} carry; {@link Span#NOOP} when they carry none. */
    public Span received(Headers headers, String name, String runId) {
        if (tracer == Tracer.NOOP || headers.lastHeader(Topics.HEADER_TRACEPARENT) == null) {
            return Span.NOOP;
        }
        return propagator.extract(headers, HEADERS).name(name).kind(Span.Kind.CONSUMER).tag("run_id", runId).start();
    }

    /** A started child of {@code parent} (which may have ended); {@link Span#NOOP} when the parent has no trace. */
    Span child(Span parent, String name) {
        return untraced(parent) ? Span.NOOP : tracer.spanBuilder().setParent(parent.context()).name(name).start();
    }

    /** Makes {@code span} the current one (its ids reach the log lines' MDC) until the answer is closed. */
    AutoCloseable inScope(Span span) {
        if (untraced(span)) {
            return () -> {};
        }
        Tracer.SpanInScope scope = tracer.withSpan(span);
        return scope::close;
    }

    /** Fresh record headers carrying {@code span}'s context; empty for a no-op span. */
    Headers headers(Span span) {
        RecordHeaders headers = new RecordHeaders();
        if (!untraced(span)) {
            propagator.inject(span.context(), headers,
                    (carrier, key, value) -> carrier.add(key, value.getBytes(StandardCharsets.UTF_8)));
        }
        return headers;
    }

    /** Whether {@code span} belongs to no trace: the no-op span (tracing off, no context to continue). */
    static boolean untraced(Span span) {
        if (span == null || span == Span.NOOP) {
            return true;
        }
        String traceId = span.context().traceId();
        return traceId == null || traceId.isEmpty() || traceId.chars().allMatch(c -> c == '0');
    }
}

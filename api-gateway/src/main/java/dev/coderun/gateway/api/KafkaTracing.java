package dev.coderun.gateway.api;

import dev.coderun.events.Topics;
import io.micrometer.observation.Observation;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.TracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import reactor.util.context.ContextView;

/**
 * The gateway's side of one trace per run: the span of the HTTP request that submits a run parents the span of its
 * {@code SubmitRun}'s publish, whose W3C context the command carries in its {@link Topics#HEADER_TRACEPARENT} header;
 * the projector continues the trace an event's header carries while it writes the event. With tracing switched off
 * (Boot then wires a no-op tracer and no propagator) every span is {@link Span#NOOP} and no header is written.
 */
@Component
public final class KafkaTracing {

    private static final Propagator.Getter<Headers> HEADERS = (headers, key) -> {
        Header header = headers.lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    };

    private final Tracer tracer;
    private final Propagator propagator;

    @Autowired
    KafkaTracing(Tracer tracer, ObjectProvider<Propagator> propagator) {
        this(tracer, propagator.getIfAvailable(() -> Propagator.NOOP));
    }

    public KafkaTracing(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
    }

    /** Tracing off. */
    public static KafkaTracing off() {
        return new KafkaTracing(Tracer.NOOP, Propagator.NOOP);
    }

    /**
     * The span of the HTTP request being handled: the current span, which Reactor's automatic context propagation
     * restores from the request's context ({@code ctx}), or else the span of the observation kept in {@code ctx};
     * {@link Span#NOOP} outside a traced request.
     */
    public Span requestSpan(ContextView ctx) {
        if (tracer == Tracer.NOOP) {
            return Span.NOOP;
        }
        Span current = tracer.currentSpan();
        if (current != null) {
            return current;
        }
        Observation observation = ctx.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
        TracingObservationHandler.TracingContext tracing = observation == null ? null
                : observation.getContextView().get(TracingObservationHandler.TracingContext.class);
        return tracing == null || tracing.getSpan() == null ? Span.NOOP : tracing.getSpan();
    }

    /**
     * A started producer span under {@code parent} (which may have ended already) about run {@code runId};
     * {@link Span#NOOP} when the parent belongs to no trace. Under an unsampled parent the span is not recorded, but
     * its context is still written and followed downstream, so the run keeps its trace id.
     */
    public Span producer(Span parent, String name, String runId) {
        if (untraced(parent)) {
            return Span.NOOP;
        }
        return tracer.spanBuilder().setParent(parent.context()).name(name).kind(Span.Kind.PRODUCER)
                .tag("run_id", runId).start();
    }

    /** A started consumer span continuing the trace {@code headers} carry; {@link Span#NOOP} when they carry none. */
    public Span consumer(Headers headers, String name, String runId) {
        if (tracer == Tracer.NOOP || headers.lastHeader(Topics.HEADER_TRACEPARENT) == null) {
            return Span.NOOP;
        }
        return propagator.extract(headers, HEADERS).name(name).kind(Span.Kind.CONSUMER).tag("run_id", runId).start();
    }

    /** Writes {@code span}'s context on {@code headers}; nothing for a no-op span. */
    public void inject(Span span, Headers headers) {
        if (!untraced(span)) {
            propagator.inject(span.context(), headers,
                    (carrier, key, value) -> carrier.add(key, value.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** The trace id of {@code span}; null for a no-op span. */
    public static String traceId(Span span) {
        return untraced(span) ? null : span.context().traceId();
    }

    /** Whether {@code span} belongs to no trace: the no-op span (tracing off, no context to continue). */
    public static boolean untraced(Span span) {
        if (span == null || span == Span.NOOP) {
            return true;
        }
        String traceId = span.context().traceId();
        return traceId == null || traceId.isEmpty() || traceId.chars().allMatch(c -> c == '0');
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
}

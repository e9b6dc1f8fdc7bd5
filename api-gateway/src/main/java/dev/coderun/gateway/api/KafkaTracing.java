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
     * The span of the HTTP request being handled, found through the Reactor context ({@code ctx}) the request's
     * observation is kept in; {@link Span#NOOP} outside a traced request.
     */
    public Span requestSpan(ContextView ctx) {
        if (tracer == Tracer.NOOP) {
            return Span.NOOP;
        }
        Observation observation = ctx.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
        if (observation != null) {
            TracingObservationHandler.TracingContext tracing =
                    observation.getContextView().get(TracingObservationHandler.TracingContext.class);
            if (tracing != null && tracing.getSpan() != null) {
                return tracing.getSpan();
            }
        }
        Span current = tracer.currentSpan();
        return current == null ? Span.NOOP : current;
    }

    /** A started producer span under {@code parent} about run {@code runId}; {@link Span#NOOP} under a no-op parent. */
    public Span producer(Span parent, String name, String runId) {
        if (parent.isNoop()) {
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
        if (!span.isNoop()) {
            propagator.inject(span.context(), headers,
                    (carrier, key, value) -> carrier.add(key, value.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** The trace id of {@code span}; null for a no-op span. */
    public static String traceId(Span span) {
        return span.isNoop() ? null : span.context().traceId();
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

package dev.coderun.gateway.api;

import io.micrometer.observation.Observation;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.TracingObservationHandler;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import reactor.util.context.ContextView;

/**
 * The span of the HTTP request being handled, the parent of the spans of the commands it publishes
 * ({@link dev.coderun.observability.KafkaTracing#producer}). With tracing switched off (Boot then wires a no-op
 * tracer) it is {@link Span#NOOP}.
 */
@Component
public final class RequestSpans {

    private final Tracer tracer;

    @Autowired
    RequestSpans(ObjectProvider<Tracer> tracer) {
        this(tracer.getIfAvailable(() -> Tracer.NOOP));
    }

    public RequestSpans(Tracer tracer) {
        this.tracer = tracer;
    }

    /** Tracing off. */
    public static RequestSpans off() {
        return new RequestSpans(Tracer.NOOP);
    }

    /**
     * The current span, which Reactor's automatic context propagation restores from the request's context
     * ({@code ctx}), or else the span of the observation kept in {@code ctx}; {@link Span#NOOP} outside a traced
     * request.
     */
    public Span of(ContextView ctx) {
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
}

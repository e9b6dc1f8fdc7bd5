package dev.coderun.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.Topics;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A run's trace across a record's headers, with the OpenTelemetry SDK the services use, and with tracing off. */
class KafkaTracingTest {

    private static final String RUN = "019a1b2c-3d4e-7f00-8a00-000000000001";

    private final SdkTracerProvider provider = SdkTracerProvider.builder().build();
    private final io.opentelemetry.api.trace.Tracer otel = provider.get("test");
    private final KafkaTracing tracing = new KafkaTracing(
            new OtelTracer(otel, new OtelCurrentTraceContext(), event -> {}),
            new OtelPropagator(ContextPropagators.create(W3CTraceContextPropagator.getInstance()), otel));
    private final OtelTracer tracer = new OtelTracer(otel, new OtelCurrentTraceContext(), event -> {});

    @AfterEach
    void close() {
        provider.close();
    }

    @Test
    void aConsumerContinuesTheTraceOfTheProducerThatWroteTheRecord() {
        Span request = tracer.nextSpan().name("request").start();
        Span producer = tracing.producer(request, "publish", RUN);
        Headers headers = tracing.headers(producer);

        Span consumer = tracing.consumer(headers, "consume", RUN);

        assertThat(KafkaTracing.traceId(headers)).isEqualTo(request.context().traceId());
        assertThat(consumer.context().traceId()).isEqualTo(request.context().traceId());
        assertThat(consumer.context().parentId()).isEqualTo(producer.context().spanId());
        assertThat(producer.context().parentId()).isEqualTo(request.context().spanId());
        assertThat(KafkaTracing.traceId(tracing.child(consumer, "step"))).isEqualTo(request.context().traceId());
    }

    @Test
    void aKeptTraceparentIsContinuedLater() {
        Span admission = tracing.consumer(tracing.headers(tracer.nextSpan().start()), "admit", RUN);
        String kept = tracing.traceparent(admission);

        Span later = tracing.continueFrom(kept, "dispatch", Span.Kind.PRODUCER, RUN);
        Headers forwarded = KafkaTracing.headers(tracing.traceparent(later));

        assertThat(kept).startsWith("00-" + admission.context().traceId() + "-");
        assertThat(later.context().parentId()).isEqualTo(admission.context().spanId());
        assertThat(KafkaTracing.traceId(forwarded)).isEqualTo(admission.context().traceId());
    }

    @Test
    void aRecordWithoutContextGivesNoSpanAndNoHeader() {
        Span consumer = tracing.consumer(new RecordHeaders(), "consume", RUN);

        assertThat(consumer).isSameAs(Span.NOOP);
        assertThat(KafkaTracing.untraced(consumer)).isTrue();
        assertThat(tracing.producer(consumer, "publish", RUN)).isSameAs(Span.NOOP);
        assertThat(tracing.child(consumer, "step")).isSameAs(Span.NOOP);
        assertThat(tracing.headers(consumer).toArray()).isEmpty();
        assertThat(tracing.traceparent(consumer)).isNull();
        assertThat(tracing.continueFrom(null, "dispatch", Span.Kind.PRODUCER, RUN)).isSameAs(Span.NOOP);
        assertThat(KafkaTracing.headers((String) null).toArray()).isEmpty();
    }

    @Test
    void withTracingOffNothingIsContinuedOrWritten() {
        KafkaTracing off = KafkaTracing.off();
        Headers traced = tracing.headers(tracer.nextSpan().start());

        assertThat(off.consumer(traced, "consume", RUN)).isSameAs(Span.NOOP);
        assertThat(off.continueFrom(tracing.traceparent(tracing.consumer(traced, "c", RUN)), "d", Span.Kind.PRODUCER,
                RUN)).isSameAs(Span.NOOP);
        assertThat(KafkaTracing.traceId(Span.NOOP)).isNull();
    }

    @Test
    void aMalformedTraceparentNamesNoTraceId() {
        Headers headers = new RecordHeaders();
        headers.add(Topics.HEADER_TRACEPARENT, "00-abc-def-01".getBytes(StandardCharsets.UTF_8));

        assertThat(KafkaTracing.traceId(headers)).isNull();
        assertThat(KafkaTracing.traceId(new RecordHeaders())).isNull();
    }
}

package dev.coderun.observability;

import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import zipkin2.Span;
import zipkin2.reporter.BytesEncoder;
import zipkin2.reporter.BytesMessageSender;

/**
 * The beans every service imports ({@code @Import} on its application class) to be traced: {@link KafkaTracing}, and
 * the Zipkin export.
 *
 * <p>Finished spans are exported to Zipkin only when {@code CODERUN_ZIPKIN_ENDPOINT} is set (Boot's own Zipkin
 * exporter is off in each service's application.yaml, because it would post to localhost:9411 whether a server
 * listens there or not). Without it no exporter exists: spans are made and dropped, nothing connects anywhere. The
 * sender (Boot's JDK HttpClient one) posts to {@code management.tracing.export.zipkin.endpoint}, which application.yaml
 * takes from that variable.
 */
@Configuration(proxyBeanMethods = false)
public class ServiceObservability {

    /** With tracing switched off, Boot wires a no-op {@link Tracer} and no {@link Propagator}. */
    @Bean
    KafkaTracing kafkaTracing(ObjectProvider<Tracer> tracer, ObjectProvider<Propagator> propagator) {
        return new KafkaTracing(
                tracer.getIfAvailable(() -> Tracer.NOOP), propagator.getIfAvailable(() -> Propagator.NOOP));
    }

    @Bean
    @ConditionalOnExpression("!'${CODERUN_ZIPKIN_ENDPOINT:}'.isBlank()")
    ZipkinSpanExporter zipkinSpanExporter(BytesMessageSender sender, BytesEncoder<Span> encoder) {
        return ZipkinSpanExporter.builder().setSender(sender).setEncoder(encoder).build();
    }
}

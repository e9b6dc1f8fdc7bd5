package dev.coderun.scheduler;

import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import zipkin2.Span;
import zipkin2.reporter.BytesEncoder;
import zipkin2.reporter.BytesMessageSender;

/**
 * Exports finished spans to Zipkin only when {@code CODERUN_ZIPKIN_ENDPOINT} is set (Boot's own Zipkin exporter is
 * off in application.yaml, because it would post to localhost:9411 whether a server listens there or not). Without
 * it no exporter exists: spans are made and dropped, nothing connects anywhere. The sender (Boot's JDK HttpClient one)
 * posts to {@code management.tracing.export.zipkin.endpoint}, which application.yaml takes from that variable.
 */
@Configuration(proxyBeanMethods = false)
class ZipkinExport {

    @Bean
    @ConditionalOnExpression("!'${CODERUN_ZIPKIN_ENDPOINT:}'.isBlank()")
    ZipkinSpanExporter zipkinSpanExporter(BytesMessageSender sender, BytesEncoder<Span> encoder) {
        return ZipkinSpanExporter.builder().setSender(sender).setEncoder(encoder).build();
    }
}

package dev.coderun.gateway.limits;

import dev.coderun.events.Topics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.http.codec.CodecCustomizer;
import org.springframework.boot.kafka.autoconfigure.DefaultKafkaConsumerFactoryCustomizer;
import org.springframework.boot.kafka.autoconfigure.DefaultKafkaProducerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.http.codec.CodecConfigurer;
import org.springframework.util.unit.DataSize;

/**
 * Puts the size limits where the frameworks enforce them: {@link RequestLimits#maxRunRequestBytes()} on the HTTP
 * codecs (a larger body is 413 {@code payload_too_large}), and the wire contract's message bound on the Kafka clients,
 * so every command the gateway accepts can be produced, and every event or chunk the contract allows can be fetched.
 */
@Configuration(proxyBeanMethods = false)
class SizeBounds {

    /** Spring's own body limit; the gateway's is {@code coderun.limits.max-run-request-bytes}. */
    static final String CODECS_LIMIT = "spring.http.codecs.max-in-memory-size";

    @Bean
    CodecCustomizer requestBodyLimit(RequestLimits limits, Environment environment) {
        checkCodecsLimit(Binder.get(environment).bind(CODECS_LIMIT, DataSize.class).orElse(null), limits);
        return new BodyLimit(limits.maxRunRequestBytes());
    }

    @Bean
    DefaultKafkaProducerFactoryCustomizer producerSizeBounds() {
        return factory -> factory.updateConfigs(producerBounds());
    }

    @Bean
    DefaultKafkaConsumerFactoryCustomizer consumerSizeBounds() {
        return factory -> factory.updateConfigs(consumerBounds(factory.getConfigurationProperties()));
    }

    /** A producer request carries one largest message with its overhead. */
    static Map<String, Object> producerBounds() {
        return Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_REQUEST_BYTES);
    }

    /** Fetch sizes raised to hold one largest record batch where they are configured (or default) lower. */
    static Map<String, Object> consumerBounds(Map<String, Object> configured) {
        Map<String, Object> raised = new HashMap<>();
        for (String name :
                List.of(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, ConsumerConfig.FETCH_MAX_BYTES_CONFIG)) {
            ConfigDef.ConfigKey key = ConsumerConfig.configDef().configKeys().get(name);
            Object value = configured.getOrDefault(name, key.defaultValue);
            if (((Number) ConfigDef.parseType(name, value, key.type)).longValue() < Topics.MAX_REQUEST_BYTES) {
                raised.put(name, Topics.MAX_REQUEST_BYTES);
            }
        }
        return raised;
    }

    /** Two body limits that disagree would leave one silently ignored: refuse to start instead. */
    static void checkCodecsLimit(DataSize configured, RequestLimits limits) {
        if (configured != null && configured.toBytes() != limits.maxRunRequestBytes()) {
            throw new IllegalStateException(CODECS_LIMIT + " is " + configured.toBytes() + " bytes, but the request"
                    + " body limit is coderun.limits.max-run-request-bytes (" + limits.maxRunRequestBytes()
                    + " bytes, at most Topics.MAX_RUN_REQUEST_BYTES = " + Topics.MAX_RUN_REQUEST_BYTES
                    + "): set that one and leave " + CODECS_LIMIT + " unset");
        }
    }

    /** Applied after Spring Boot's own codec settings, so the gateway's limit is the one in force. */
    record BodyLimit(int maxBytes) implements CodecCustomizer, Ordered {

        @Override
        public void customize(CodecConfigurer configurer) {
            configurer.defaultCodecs().maxInMemorySize(maxBytes);
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE;
        }
    }
}

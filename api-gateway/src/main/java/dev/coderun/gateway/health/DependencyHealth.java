package dev.coderun.gateway.health;

import dev.coderun.observability.CachedHealthIndicator;
import dev.coderun.observability.KafkaHealth;
import io.r2dbc.spi.ConnectionFactory;
import org.apache.kafka.clients.admin.Admin;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaAdmin;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The gateway's dependencies as health indicators {@code kafka} and {@code postgres}, both in the readiness group
 * (application.yaml): a gateway that cannot reach either cannot accept or read runs. Liveness does not include them.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(HealthProperties.class)
class DependencyHealth {

    @Bean(destroyMethod = "close")
    Admin healthAdmin(KafkaAdmin kafkaAdmin, HealthProperties properties) {
        return KafkaHealth.admin(
                kafkaAdmin.getConfigurationProperties(), "coderun-gateway-health", properties.timeout());
    }

    @Bean
    CachedHealthIndicator kafkaHealthIndicator(Admin healthAdmin, HealthProperties properties) {
        return KafkaHealth.indicator(healthAdmin, properties.interval(), properties.timeout());
    }

    @Bean
    CachedHealthIndicator postgresHealthIndicator(ConnectionFactory connectionFactory, HealthProperties properties) {
        return new CachedHealthIndicator("postgres", () -> {
            Integer one = Mono.usingWhen(connectionFactory.create(),
                            connection -> Flux.from(connection.createStatement("select 1").execute())
                                    .flatMap(result -> result.map((row, meta) -> row.get(0, Integer.class)))
                                    .next(),
                            connection -> connection.close())
                    .block(properties.timeout());
            return one != null && one == 1 ? Health.up().build()
                    : Health.down().withDetail("reason", "select 1 answered " + one).build();
        }, properties.interval(), properties.timeout());
    }
}

package dev.coderun.worker.health;

import dev.coderun.observability.CachedHealthIndicator;
import dev.coderun.observability.KafkaHealth;
import dev.coderun.worker.ObservabilityProperties;
import dev.coderun.worker.WorkerProperties;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.springframework.boot.health.contributor.Health;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Health {@code kafka} and {@code registry}, in the readiness group with the sandbox's {@code docker} (application.yaml):
 * a worker that cannot reach Kafka takes no runs, and one that cannot reach its engine or registry cannot run them.
 */
@Configuration(proxyBeanMethods = false)
class DependencyHealth {

    @Bean(destroyMethod = "close")
    Admin healthAdmin(WorkerProperties worker, ObservabilityProperties properties) {
        return KafkaHealth.admin(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, worker.bootstrapServers()),
                "coderun-worker-health-" + worker.id(), properties.healthTimeout());
    }

    @Bean
    CachedHealthIndicator kafkaHealthIndicator(Admin healthAdmin, ObservabilityProperties properties) {
        return KafkaHealth.indicator(healthAdmin, properties.healthInterval(), properties.healthTimeout());
    }

    /** UP when the registry answers its API base ({@code /v2/}) with 200, or 401 (it is there, and wants a login). */
    @Bean
    CachedHealthIndicator registryHealthIndicator(ObservabilityProperties properties) {
        URI registry = properties.registryUri();
        if (registry == null) {
            return new CachedHealthIndicator("registry", () -> Health.up().withDetail("checked", false).build(),
                    properties.healthInterval(), properties.healthTimeout());
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(properties.healthTimeout()).build();
        URI base = registry.resolve("/v2/");
        return new CachedHealthIndicator("registry", () -> {
            int status = http.send(HttpRequest.newBuilder(base).timeout(properties.healthTimeout()).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            return (status == 200 || status == 401 ? Health.up() : Health.down()).withDetail("status", status).build();
        }, properties.healthInterval(), properties.healthTimeout());
    }
}

package dev.coderun.scheduler.observability;

import dev.coderun.observability.CachedHealthIndicator;
import dev.coderun.observability.KafkaHealth;
import dev.coderun.scheduler.ObservabilityProperties;
import dev.coderun.scheduler.SchedulerProperties;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The scheduler's view of Kafka for operators: health {@code kafka} (readiness group, application.yaml) and the lag
 * of every coderun group ({@link GroupLag}), through one admin client of their own.
 */
@Configuration(proxyBeanMethods = false)
class KafkaObservability {

    @Bean(destroyMethod = "close")
    Admin observabilityAdmin(SchedulerProperties scheduler, ObservabilityProperties properties) {
        return KafkaHealth.admin(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, scheduler.bootstrapServers()),
                "coderun-scheduler-observability", properties.healthTimeout());
    }

    @Bean
    CachedHealthIndicator kafkaHealthIndicator(Admin observabilityAdmin, ObservabilityProperties properties) {
        return KafkaHealth.indicator(observabilityAdmin, properties.healthInterval(), properties.healthTimeout());
    }

    @Bean(destroyMethod = "close")
    GroupLag groupLag(Admin observabilityAdmin, ObservabilityProperties properties) {
        return new GroupLag(observabilityAdmin, properties.groupLagInterval());
    }
}

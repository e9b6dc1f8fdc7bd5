package dev.coderun.gateway.health;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the gateway checks what it depends on ({@code coderun.health.*}), for the readiness probe.
 *
 * @param interval how often each dependency is checked; a health request answers the last check's result
 * @param timeout how long one check may take before the dependency counts as DOWN
 */
@ConfigurationProperties("coderun.health")
public record HealthProperties(@DefaultValue("5s") Duration interval, @DefaultValue("2s") Duration timeout) {}

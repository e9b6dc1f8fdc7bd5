package dev.coderun.gateway.runtimes;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How validate-image talks to registries ({@code coderun.registry.*}).
 *
 * @param insecureRegistries registries spoken to over plain HTTP (the local development registry)
 * @param timeout how long one registry call may take before the registry counts as unreachable
 * @param requestBudget how long validate-image waits for the result before answering 202 VALIDATING
 */
@ConfigurationProperties("coderun.registry")
public record RegistryProperties(
        @DefaultValue({"127.0.0.1:5000", "localhost:5000"}) List<String> insecureRegistries,
        @DefaultValue("10s") Duration timeout,
        @DefaultValue("3s") Duration requestBudget) {}

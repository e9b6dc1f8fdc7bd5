package dev.coderun.worker;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the worker checks what it depends on for its readiness probe ({@code coderun.observability.*}).
 *
 * @param healthInterval how often Kafka, the Docker engine and the registry are checked; a probe answers the last
 *     check. Default 5s
 * @param healthTimeout how long one check may take before the dependency counts as DOWN. Default 2s
 * @param registry the image registry runs pull from, checked with {@code GET /v2/}; empty to leave it out of the
 *     readiness probe. Default {@code http://127.0.0.1:5000} (the local stack's registry)
 */
@ConfigurationProperties("coderun.observability")
public record ObservabilityProperties(
        @DefaultValue("5s") Duration healthInterval,
        @DefaultValue("2s") Duration healthTimeout,
        @DefaultValue("http://127.0.0.1:5000") String registry) {

    /** The registry's base URI, or null when it is not checked. */
    public URI registryUri() {
        return registry == null || registry.isBlank() ? null : URI.create(registry);
    }
}

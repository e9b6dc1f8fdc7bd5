package dev.coderun.worker.sandbox;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.coderun.observability.CachedHealthIndicator;
import dev.coderun.worker.ObservabilityProperties;
import dev.coderun.worker.WorkerProperties;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Health {@code docker}, in the readiness group: the engine answers a ping within the health timeout. Through a client
 * of its own with a response timeout (the runs' client has none: its attach and wait calls last as long as a run), so
 * a hung engine fails the check instead of holding a connection the runs need.
 */
@Component("dockerHealthIndicator")
public final class DockerHealth implements HealthIndicator, DisposableBean {

    private final DockerClient client;
    private final CachedHealthIndicator check;

    @Autowired
    DockerHealth(WorkerProperties worker, ObservabilityProperties properties) {
        this(worker.docker().host(), properties.healthInterval(), properties.healthTimeout());
    }

    /** Checks the engine at {@code host} every {@code interval}; a ping gives up after {@code timeout}. */
    public DockerHealth(URI host, Duration interval, Duration timeout) {
        DefaultDockerClientConfig config =
                DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(host.toString()).build();
        this.client = DockerClientImpl.getInstance(config, new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(2)
                .connectionTimeout(timeout)
                .responseTimeout(timeout)
                .build());
        this.check = new CachedHealthIndicator("docker", () -> {
            client.pingCmd().exec();
            return Health.up().build();
        }, interval, timeout);
    }

    @Override
    public Health health() {
        return check.health();
    }

    @Override
    public void destroy() throws IOException {
        check.destroy();
        client.close();
    }
}

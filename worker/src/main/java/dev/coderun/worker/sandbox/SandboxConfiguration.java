package dev.coderun.worker.sandbox;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.coderun.worker.WorkerProperties;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The Docker engine client, the sandbox policy and the launcher built from them. */
@Configuration(proxyBeanMethods = false)
class SandboxConfiguration {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    @Bean(destroyMethod = "close")
    DockerClient dockerClient(WorkerProperties properties) {
        return dockerClient(properties.docker().host(), properties.slots());
    }

    /** Writes the hosts file first, when one is configured: the worker does not start without it. */
    @Bean
    SandboxPolicy sandboxPolicy(WorkerProperties properties) throws IOException {
        WorkerProperties.Sandbox sandbox = properties.sandbox();
        return new SandboxPolicy(sandbox.user(), sandbox.tmpfsSize().toBytes(),
                sandbox.hostsFile() == null ? null : HostsFile.write(sandbox.hostsFile()));
    }

    /** The die and oom events of this worker's containers; closed after the launcher, which uses it. */
    @Bean(destroyMethod = "close")
    ContainerEvents containerEvents(DockerClient dockerClient, WorkerProperties properties) {
        return new ContainerEvents(dockerClient, properties.id());
    }

    /**
     * Fails the worker's start when the engine is unreachable: a worker that cannot run containers takes no runs. The
     * orphan sweep runs before the pool exists, so it removes only what a previous process left (warm containers
     * included). Closing the launcher (after the runs that use it ended) drains its pool.
     */
    @Bean(destroyMethod = "close")
    ContainerLauncher containerLauncher(
            DockerClient dockerClient, WorkerProperties properties, Clock clock, ContainerEvents events) {
        URI host = properties.docker().host();
        Duration pullTimeout = properties.docker().pullTimeout();
        new ContainerLauncher(dockerClient, host, properties.id(), pullTimeout).removeOrphans();
        WorkerProperties.Pool pool = properties.pool();
        return new ContainerLauncher(dockerClient, host, properties.id(), pullTimeout,
                pool.sizePerRuntime() == 0
                        ? null
                        : new WarmPool(dockerClient, pool.sizePerRuntime(), properties.slots(), pool.keepWarmFor(),
                                clock, pool.parallelCreates()),
                events);
    }

    /**
     * A client for the engine at {@code host}. No response timeout: attach and wait responses stay open for as long as
     * a run runs, the event stream for as long as the worker does. Each running run holds two connections (attach,
     * wait) and briefly a third; a few more serve the event stream, pulls and the orphan sweep.
     */
    static DockerClient dockerClient(URI host, int slots) {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(host.toString())
                .build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(3 * slots + 8)
                .connectionTimeout(CONNECT_TIMEOUT)
                .build();
        return DockerClientImpl.getInstance(config, http);
    }
}

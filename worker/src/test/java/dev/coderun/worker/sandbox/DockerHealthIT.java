package dev.coderun.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

/** The {@code docker} readiness check against the local engine, and against an engine that is not there. */
class DockerHealthIT {

    private static final Duration INTERVAL = Duration.ofMillis(200);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    @Test
    void theLocalEngineIsUp() throws Exception {
        DockerHealth health = new DockerHealth(URI.create("unix:///var/run/docker.sock"), INTERVAL, TIMEOUT);
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> health.health().getStatus().equals(Status.UP));
        } finally {
            health.destroy();
        }
    }

    @Test
    void anEngineSocketThatDoesNotExistIsDownAndAnsweredAtOnce() throws Exception {
        Path missing = Files.createTempDirectory("no-docker").resolve("docker.sock");
        DockerHealth health = new DockerHealth(URI.create("unix://" + missing), INTERVAL, TIMEOUT);
        try {
            // DOWN before any check answered, and DOWN after the checks failed.
            assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
            await().atMost(Duration.ofSeconds(30)).until(() -> health.health().getDetails().containsKey("reason")
                    && !"not checked yet".equals(health.health().getDetails().get("reason")));
            assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
        } finally {
            health.destroy();
        }
    }
}

package dev.coderun.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import dev.coderun.worker.LocalRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The engine's die and oom events of this worker's containers, on the local Docker engine. */
class ContainerEventsIT {

    private static final URI HOST = URI.create("unix:///var/run/docker.sock");
    private static final Duration BOUND = Duration.ofSeconds(20);
    private static DockerClient docker;

    private final String workerId = "events-it-" + System.nanoTime();
    private ContainerEvents events;

    @BeforeAll
    static void connect() {
        docker = SandboxConfiguration.dockerClient(HOST, 2);
    }

    @AfterAll
    static void disconnect() throws Exception {
        docker.close();
    }

    @BeforeEach
    void subscribe() {
        events = new ContainerEvents(docker, workerId);
        await().atMost(BOUND).until(events::live);
    }

    @AfterEach
    void removeEverything() {
        events.close();
        new ContainerLauncher(docker, HOST, workerId, Duration.ofMinutes(1)).removeOrphans();
    }

    @Test
    void aWatchedContainersEndIsToldWithItsExitCode() throws Exception {
        String id = container(workerId, "exit 3");
        CompletableFuture<ContainerEvents.Died> died = events.watch(id);

        docker.startContainerCmd(id).exec();

        assertThat(died.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isEqualTo(new ContainerEvents.Died(3, false));
        assertThat(events.died(id)).isTrue();
    }

    @Test
    void aContainerOverItsMemoryLimitIsToldOomKilled() throws Exception {
        // tail keeps its last "line", all 64 MiB of it. The kernel kills it, and at times the shell too (here about
        // one time in two, whatever the child's oom_score_adj): the oom event tells the kill whether the shell then
        // ends by itself (0) or is killed (137).
        String id = container(workerId, "head -c 64m /dev/zero | tail > /dev/null; exit 0");
        CompletableFuture<ContainerEvents.Died> died = events.watch(id);

        docker.startContainerCmd(id).exec();

        ContainerEvents.Died end = died.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertThat(end.oomKilled()).isTrue();
        assertThat(end.exitCode()).isIn(0, 137);
    }

    @Test
    void theEndsOfAnotherWorkersContainersAreNotTold() throws Exception {
        String other = container("another-" + workerId, "exit 0");
        try {
            CompletableFuture<ContainerEvents.Died> died = events.watch(other);
            String mine = container(workerId, "exit 0");

            docker.startContainerCmd(other).exec();
            docker.waitContainerCmd(other).start().awaitStatusCode(BOUND.toSeconds(), TimeUnit.SECONDS);
            // Events arrive in order: once this worker's later container is told, the other's would have been.
            docker.startContainerCmd(mine).exec();
            await().atMost(BOUND).until(() -> events.died(mine));

            assertThat(died).isNotDone();
            assertThat(events.died(other)).isFalse();
        } finally {
            docker.removeContainerCmd(other).withForce(true).exec();
        }
    }

    /** A busybox container of {@code worker} running {@code script}, limited to 16 MiB, created and not started. */
    private static String container(String worker, String script) {
        return docker.createContainerCmd(LocalRegistry.BUSYBOX + ":latest")
                .withEntrypoint(List.of("/bin/sh", "-c", script))
                .withLabels(Map.of(SandboxPolicy.LABEL_WORKER_ID, worker))
                .withHostConfig(ContainerLauncher.hostConfig(16L * 1024 * 1024, 1_000_000_000L, 64, "none", null,
                        true, Map.of(), List.of("ALL"), List.of("no-new-privileges")))
                .exec()
                .getId();
    }
}

package dev.coderun.worker.sandbox;

import static dev.coderun.worker.LocalRegistry.aBusyboxRun;
import static dev.coderun.worker.LocalRegistry.busybox;
import static dev.coderun.worker.TestRuns.aRun;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.PushResponseItem;
import dev.coderun.events.OutputChunk;
import dev.coderun.events.OutputChunk.OutputStream;
import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunSpec;
import dev.coderun.worker.LocalRegistry;
import dev.coderun.worker.TestRuns;
import dev.coderun.worker.TestRuns.RunBuilder;
import dev.coderun.worker.output.OutputCapture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs real containers of the stack's busybox image on the local Docker engine. */
class ContainerLauncherIT {

    private static final String WORKER_ID = "launcher-it-" + System.nanoTime();
    private static final Duration BOUND = Duration.ofSeconds(15);
    private static DockerClient docker;
    private static ContainerLauncher launcher;
    private final SandboxPolicy policy = new SandboxPolicy("65534:65534", 16L * 1024 * 1024);

    @BeforeAll
    static void connect() {
        URI host = URI.create("unix:///var/run/docker.sock");
        docker = SandboxConfiguration.dockerClient(host, 4);
        launcher = new ContainerLauncher(docker, host, WORKER_ID, Duration.ofMinutes(1));
    }

    @AfterAll
    static void disconnect() throws Exception {
        docker.close();
    }

    @Test
    void anExecFormCommandGetsItsArgsVerbatim() throws Exception {
        Recorded run = run(aBusyboxRun().command("echo", "hello  world", "$HOME"));

        assertThat(run.exit).isEqualTo(new ContainerExit(false, 0, false, run.exit.durationMs()));
        assertThat(run.stdout()).isEqualTo("hello  world $HOME\n");
        assertThat(run.started).hasValue(1);
    }

    @Test
    void aShellFormCommandRunsPipesAndRedirects() throws Exception {
        Recorded run = run(aBusyboxRun().command("echo abc | tr a-c x-z; echo oops >&2"));

        assertThat(run.exit.exitCode()).isZero();
        assertThat(run.stdout()).isEqualTo("xyz\n");
        assertThat(run.stderr()).isEqualTo("oops\n");
    }

    @Test
    void theRunsEnvOverridesTheRuntimesEnv() throws Exception {
        Recorded run = run(aBusyboxRun().runtime(busybox().env(Map.of("A", "runtime-a", "B", "runtime-b")).build())
                .env(Map.of("B", "run-b"))
                .command("echo $A $B"));

        assertThat(run.stdout()).isEqualTo("runtime-a run-b\n");
    }

    @Test
    void stdinIsFedToTheProcessAndThenClosed() throws Exception {
        Recorded run = run(aBusyboxRun().stdin("line one\nline two").command("cat"));

        assertThat(run.exit.exitCode()).isZero();
        assertThat(run.stdout()).isEqualTo("line one\nline two");
    }

    @Test
    void stdinLargerThanAPipeBufferIsFedWhole() throws Exception {
        String stdin = "0123456789abcdef".repeat(64 * 1024);

        Recorded run = run(aBusyboxRun().stdin(stdin).command("wc -c"));

        assertThat(run.stdout().trim()).isEqualTo(String.valueOf(stdin.length()));
    }

    @Test
    void stdinTheProcessNeverReadsDoesNotHoldItUp() throws Exception {
        Recorded run = run(aBusyboxRun().stdin("x".repeat(1024 * 1024)).command("echo ignored").timeoutSeconds(10));

        assertThat(run.exit.timedOut()).isFalse();
        assertThat(run.stdout()).isEqualTo("ignored\n");
    }

    @Test
    void withoutStdinTheProcessReadsEndOfFileAtOnce() throws Exception {
        Recorded run = run(aBusyboxRun().command("cat; echo done").timeoutSeconds(10));

        assertThat(run.exit.timedOut()).isFalse();
        assertThat(run.stdout()).isEqualTo("done\n");
    }

    @Test
    void theProcessRunsInTheGivenWorkingDirectory() throws Exception {
        assertThat(run(aBusyboxRun().cwd("/tmp").command("pwd")).stdout()).isEqualTo("/tmp\n");
    }

    @Test
    void theProcessRunsAsNobody() throws Exception {
        assertThat(run(aBusyboxRun().command("id -u; id -g")).stdout()).isEqualTo("65534\n65534\n");
    }

    @Test
    void aNonZeroExitIsReported() throws Exception {
        assertThat(run(aBusyboxRun().command("exit 3")).exit.exitCode()).isEqualTo(3);
    }

    @Test
    void aCommandThatDoesNotExistExitsWith127AndSaysWhy() throws Exception {
        Recorded run = run(aBusyboxRun().command("no-such-command", "arg"));

        assertThat(run.exit.exitCode()).isEqualTo(127);
        assertThat(run.stderr()).contains("no-such-command");
        assertThat(run.started).hasValue(0);
    }

    @Test
    void aProcessThatOutlivesItsTimeoutIsKilled() throws Exception {
        long started = System.nanoTime();
        Recorded run = run(aBusyboxRun().command("echo before; sleep 30").timeoutSeconds(1));

        assertThat(run.exit.timedOut()).isTrue();
        assertThat(run.stdout()).isEqualTo("before\n");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aProcessOverItsMemoryLimitIsOomKilled() throws Exception {
        Recorded run = run(aBusyboxRun().runtime(busybox().memoryMb(8).build())
                .command("head -c 64000000 /dev/zero | tail -n 1 > /dev/null"));

        assertThat(run.exit.oomKilled()).isTrue();
        assertThat(run.exit.exitCode()).isEqualTo(137);
    }

    @Test
    void outputOverTheCapIsCountedButNotRetained() throws Exception {
        RunSpec spec = aBusyboxRun().maxOutputBytes(100).command("head -c 10000 /dev/zero | tr '\\0' a").build();
        OutputCapture capture = new OutputCapture(spec.handle(), spec.runId(), 1, spec.maxOutputBytes(), 64);
        ByteArrayOutputStream retained = new ByteArrayOutputStream();

        ContainerExit exit = launcher.run(policy.containerFor(spec, WORKER_ID), new ContainerObserver() {
            @Override
            public void started() {}

            @Override
            public synchronized void output(OutputStream stream, byte[] bytes) {
                capture.append(stream, bytes, Instant.now()).forEach(chunk -> retained.writeBytes(chunk.data()));
            }

            @Override
            public void ended(ContainerExit exit) {}
        });
        capture.flush(Instant.now()).stream().map(OutputChunk::data).forEach(retained::writeBytes);

        assertThat(exit.exitCode()).isZero();
        assertThat(retained.toString(UTF_8)).isEqualTo("a".repeat(100));
        assertThat(capture.summary()).isEqualTo(new OutputSummary(10_000, 0, true, false, 2));
    }

    @Test
    void theRootFilesystemIsReadOnlyAndTmpIsWritable() throws Exception {
        Recorded root = run(aBusyboxRun().command("echo x > /x"));
        Recorded tmp = run(aBusyboxRun().command("echo x > /tmp/x && cat /tmp/x"));

        assertThat(root.exit.exitCode()).isNotZero();
        assertThat(root.stderr()).contains("Read-only file system");
        assertThat(tmp.exit.exitCode()).isZero();
        assertThat(tmp.stdout()).isEqualTo("x\n");
    }

    @Test
    void aWritableRootfsWhenTheRuntimeAllowsIt() throws Exception {
        // The image's / belongs to root; a writable rootfs shows as a permission error, not a read-only one.
        Recorded run = run(aBusyboxRun().runtime(busybox().readOnlyRootfs(false).build()).command("echo x > /x"));

        assertThat(run.stderr()).contains("Permission denied").doesNotContain("Read-only");
    }

    @Test
    void withoutNetworkThereIsOnlyLoopback() throws Exception {
        assertThat(run(aBusyboxRun().command("ls /sys/class/net")).stdout()).isEqualTo("lo\n");
        assertThat(run(aBusyboxRun().runtime(busybox().network("bridge").build()).command("ls /sys/class/net")).stdout())
                .contains("eth0");
    }

    /**
     * With the engine's networking off and the hosts file bound ({@link HostsFile}), a run sees what the engine's
     * {@code none} network shows it, in a network namespace that is not the host's, and cannot change the shared file.
     * The only difference, not compared: {@code /etc/resolv.conf} is empty instead of a copy of the host's.
     */
    @Test
    void withoutTheEnginesNetworkARunSeesWhatTheNoneNetworkShowsIt(@TempDir Path dir) throws Exception {
        SandboxPolicy hostsFilePolicy = new SandboxPolicy("65534:65534", 16L * 1024 * 1024,
                HostsFile.write(dir.resolve("hosts")));
        String hostNetwork = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        for (String command : List.of(
                "ls /sys/class/net",
                "cat /proc/net/dev | tail -n +3 | cut -d: -f1",
                "cat /etc/hosts",
                "echo 127.0.0.2 evil >> /etc/hosts",
                "hostname | wc -c",
                "readlink /proc/self/ns/net | grep -c -x -F '" + hostNetwork + "'")) {
            RunSpec spec = aBusyboxRun().command(command).build();
            ContainerSpec engineNone = policy.containerFor(spec, WORKER_ID);
            ContainerSpec hostsFile = hostsFilePolicy.containerFor(spec, WORKER_ID);
            assertThat(hostsFile.hostsFile()).isNotNull();

            Recorded expected = run(engineNone);
            Recorded actual = run(hostsFile);

            assertThat(actual.stdout()).as("stdout of %s", command).isEqualTo(expected.stdout());
            assertThat(actual.exit.exitCode()).as("exit of %s", command).isEqualTo(expected.exit.exitCode());
        }
        assertThat(run(hostsFilePolicy.containerFor(aBusyboxRun().command("cat /etc/hosts").build(), WORKER_ID))
                .stdout()).isEqualTo(HostsFile.CONTENT);
        assertThat(run(hostsFilePolicy.containerFor(aBusyboxRun().command("readlink /proc/self/ns/net").build(),
                WORKER_ID)).stdout().trim()).startsWith("net:[").isNotEqualTo(hostNetwork);
        assertThat(Files.readString(dir.resolve("hosts"))).isEqualTo(HostsFile.CONTENT);

        // Removed while the worker runs: written again before the next container that binds it is created.
        Files.delete(dir.resolve("hosts"));
        assertThat(run(hostsFilePolicy.containerFor(aBusyboxRun().command("cat /etc/hosts").build(), WORKER_ID))
                .stdout()).isEqualTo(HostsFile.CONTENT);
    }

    /**
     * The hosts file is bound as a mount, so a path the engine does not have (a worker in a container whose directory
     * is not shared) fails the creation; a bind would have had the engine make an empty directory of it. A path the
     * worker cannot write fails the run before any container is created.
     */
    @Test
    void aHostsFileTheEngineDoesNotHaveFailsTheCreationInsteadOfBeingMadeADirectory(@TempDir Path dir) {
        String missing = dir.resolve("not-shared").resolve("hosts").toString();
        var create = docker.createContainerCmd(LocalRegistry.BUSYBOX + ":latest")
                .withLabels(Map.of(SandboxPolicy.LABEL_WORKER_ID, WORKER_ID))
                .withNetworkDisabled(true)
                .withHostConfig(ContainerLauncher.hostConfig(16L * 1024 * 1024, 1_000_000_000L, 64, "none", missing,
                        true, Map.of(), List.of("ALL"), List.of("no-new-privileges")));

        assertThatThrownBy(create::exec).hasMessageContaining(missing);
        assertThat(dir.resolve("not-shared")).doesNotExist();

        ContainerSpec unwritable = new SandboxPolicy("65534:65534", 16L * 1024 * 1024, "/proc/coderun/hosts")
                .containerFor(aBusyboxRun().command("cat /etc/hosts").build(), WORKER_ID);
        assertThatThrownBy(() -> launcher.run(unwritable, new RecordingObserver()))
                .hasMessageContaining("/proc/coderun/hosts");
    }

    @Test
    void thePidsLimitStopsAForkBomb() throws Exception {
        // 16, not fewer: the container's runc init must fit in the limit before the shell starts (see WarmPoolIT).
        Recorded run = run(aBusyboxRun().runtime(busybox().pidsLimit(16).build())
                .command("i=0; while [ $i -lt 20 ]; do sleep 2 & i=$((i + 1)); done; wait"));

        assertThat(run.stderr()).contains("can't fork");
    }

    @Test
    void theContainerIsRemovedAfterTheRun() throws Exception {
        RunSpec spec = aBusyboxRun().command("true").build();

        run(spec);

        assertThat(docker.listContainersCmd().withShowAll(true)
                        .withLabelFilter(Map.of(SandboxPolicy.LABEL_RUN_ID, spec.runId())).exec())
                .isEmpty();
    }

    /** The caller can report the end while the removal goes on, and still holds the run until the container is gone. */
    @Test
    void theEndIsToldWithAllOutputWhileTheContainerExistsAndRunReturnsOnceItIsRemoved() throws Exception {
        RunSpec spec = aBusyboxRun().command("echo out; echo err >&2; exit 3").build();
        List<String> containersAtEnd = new CopyOnWriteArrayList<>();
        List<String> outputAtEnd = new CopyOnWriteArrayList<>();
        RecordingObserver recorder = new RecordingObserver() {
            @Override
            public void ended(ContainerExit exit) {
                containersOf(spec).forEach(container -> containersAtEnd.add(container.getId()));
                outputAtEnd.add(stdout() + "|" + stderr());
                super.ended(exit);
            }
        };

        ContainerExit exit = launcher.run(policy.containerFor(spec, WORKER_ID), recorder);

        assertThat(recorder.ended).containsExactly(exit);
        assertThat(exit.exitCode()).isEqualTo(3);
        assertThat(containersAtEnd).as("the run's container when the end was told").hasSize(1);
        assertThat(outputAtEnd).containsExactly("out\n|err\n");
        assertThat(containersOf(spec)).as("the run's container once run returned").isEmpty();
    }

    @Test
    void leftoverContainersOfThisWorkerAreRemovedAsOrphans() {
        String orphan = docker.createContainerCmd(policy.containerFor(aBusyboxRun().build(), WORKER_ID)
                        .image())
                .withLabels(Map.of(SandboxPolicy.LABEL_WORKER_ID, WORKER_ID, SandboxPolicy.LABEL_RUN_ID, "lost"))
                .exec()
                .getId();
        String someoneElses = docker.createContainerCmd(policy.containerFor(aBusyboxRun().build(), WORKER_ID)
                        .image())
                .withLabels(Map.of(SandboxPolicy.LABEL_WORKER_ID, WORKER_ID + "-other"))
                .exec()
                .getId();
        try {
            assertThat(launcher.removeOrphans()).isEqualTo(1);
            assertThat(docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(orphan)).exec())
                    .isEmpty();
        } finally {
            docker.removeContainerCmd(someoneElses).withForce(true).exec();
        }
    }

    @Test
    void anImageMissingFromTheEngineIsPulledByDigest() throws Exception {
        String repository = "127.0.0.1:5000/coderun-it/busybox";
        String source = LocalRegistry.BUSYBOX + ":latest";
        docker.tagImageCmd(source, repository, "pull").exec();
        docker.pushImageCmd(repository).withTag("pull").exec(new ResultCallback.Adapter<PushResponseItem>())
                .awaitCompletion(60, TimeUnit.SECONDS);
        docker.removeImageCmd(repository + ":pull").exec();
        String digest = LocalRegistry.digestOf(repository, "pull");
        try {
            Recorded run = run(aBusyboxRun().runtime(TestRuns.aRuntime().image(repository + ":pull", digest).build())
                    .command("echo pulled"));

            assertThat(run.stdout()).isEqualTo("pulled\n");
        } finally {
            docker.removeImageCmd(repository + "@" + digest).exec();
        }
    }

    @Test
    void anImageNoRegistryHoldsIsUnavailable() {
        RunSpec spec = aRun().runtime(TestRuns.aRuntime().image(LocalRegistry.BUSYBOX, TestRuns.UNKNOWN_DIGEST).build())
                .build();

        assertThatExceptionOfType(ImageUnavailableException.class)
                .isThrownBy(() -> launcher.run(policy.containerFor(spec, WORKER_ID), new RecordingObserver()))
                .withMessageContaining(TestRuns.UNKNOWN_DIGEST);
    }

    @Test
    void oneShortRunTakesAboutAsLongAsDockerRun() throws Exception {
        run(aBusyboxRun().command("echo", "warm-up"));
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long started = System.nanoTime();
            run(aBusyboxRun().command("echo", "hi"));
            best = Math.min(best, System.nanoTime() - started);
        }
        System.out.printf("ContainerLauncher echo hi (create, attach, start, wait, inspect, remove): best of 5 = %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(best));
        assertThat(Duration.ofNanos(best)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void anInterruptWhileTheProcessRunsKillsItKeepsWhatItWroteAndRemovesIt() {
        RunSpec spec = aBusyboxRun().command("echo started; sleep 30").timeoutSeconds(60).build();
        RecordingObserver recorder = new RecordingObserver();
        Interruptible run = startRun(spec, recorder);
        await().atMost(BOUND).until(() -> recorder.stdout().equals("started\n"));

        long interrupting = System.nanoTime();
        run.thread().interrupt();

        assertInterrupted(run);
        assertThat(Duration.ofNanos(System.nanoTime() - interrupting)).isLessThan(Duration.ofSeconds(5));
        assertThat(recorder.stdout()).isEqualTo("started\n");
        assertThat(recorder.started).hasValue(1);
        assertThat(recorder.ended).as("an interrupted run tells no end").isEmpty();
        assertThat(containersOf(spec)).isEmpty();
    }

    /**
     * Interrupts at delays that fall into every phase of a run on this engine (inspect image, create, attach, start,
     * wait): whichever phase an interrupt meets, the run ends at once and its container is gone.
     */
    @Test
    void anInterruptInAnyPhaseEndsTheRunAndLeavesNoContainer() {
        ScheduledExecutorService interrupter = Executors.newSingleThreadScheduledExecutor();
        int beforeTheProcessStarted = 0;
        int whileItRan = 0;
        try {
            for (long delayMs : List.of(0L, 2L, 5L, 10L, 15L, 20L, 25L, 30L, 35L, 40L, 50L, 65L, 80L, 100L, 130L, 170L,
                    220L, 300L, 1000L)) {
                RunSpec spec = aBusyboxRun().command("sleep 30").timeoutSeconds(60).build();
                RecordingObserver recorder = new RecordingObserver();
                Interruptible run = startRun(spec, recorder);
                interrupter.schedule(run.thread()::interrupt, delayMs, TimeUnit.MILLISECONDS);

                assertInterrupted(run);
                assertThat(containersOf(spec)).as("containers left after an interrupt at %d ms", delayMs).isEmpty();
                if (recorder.started.get() == 0) {
                    beforeTheProcessStarted++;
                } else {
                    whileItRan++;
                }
            }
        } finally {
            interrupter.shutdownNow();
        }
        assertThat(beforeTheProcessStarted).isPositive();
        assertThat(whileItRan).isPositive();
    }

    @Test
    void anInterruptDuringAPullEndsTheRunAtOnce() throws Exception {
        // A registry that accepts the engine's connection and never answers: the pull hangs until interrupted.
        try (ServerSocket silentRegistry = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new CopyOnWriteArrayList<>();
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        held.add(silentRegistry.accept());
                    }
                } catch (IOException closed) {
                    // The test is over.
                }
            });
            String repository = "127.0.0.1:" + silentRegistry.getLocalPort() + "/coderun-it/silent";
            RunSpec spec = aRun().runtime(TestRuns.aRuntime().image(repository, TestRuns.UNKNOWN_DIGEST).build())
                    .build();
            Interruptible run = startRun(spec, new RecordingObserver());
            await().atMost(BOUND).until(() -> !held.isEmpty());

            long interrupting = System.nanoTime();
            run.thread().interrupt();

            assertInterrupted(run);
            assertThat(Duration.ofNanos(System.nanoTime() - interrupting)).isLessThan(Duration.ofSeconds(5));
            assertThat(containersOf(spec)).isEmpty();
            for (Socket connection : held) {
                connection.close();
            }
        }
    }

    private Interruptible startRun(RunSpec spec, ContainerObserver observer) {
        CompletableFuture<ContainerExit> exit = new CompletableFuture<>();
        ContainerSpec container = policy.containerFor(spec, WORKER_ID);
        Thread thread = Thread.ofVirtual().name("interruptible-run").start(() -> {
            try {
                exit.complete(launcher.run(container, observer));
            } catch (Exception e) {
                exit.completeExceptionally(e);
            }
        });
        return new Interruptible(thread, exit);
    }

    private static void assertInterrupted(Interruptible run) {
        await().atMost(BOUND).until(run.exit()::isDone);
        assertThat(run.exit()).failsWithin(Duration.ZERO).withThrowableThat()
                .havingCause().isInstanceOf(InterruptedException.class);
    }

    private static List<Container> containersOf(RunSpec spec) {
        return docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(SandboxPolicy.LABEL_RUN_ID, spec.runId())).exec();
    }

    /** A run on a thread of its own, to be interrupted as the worker interrupts a stopped run. */
    private record Interruptible(Thread thread, CompletableFuture<ContainerExit> exit) {}

    private Recorded run(RunBuilder run) throws Exception {
        return run(run.build());
    }

    private Recorded run(RunSpec spec) throws Exception {
        return run(policy.containerFor(spec, WORKER_ID));
    }

    private Recorded run(ContainerSpec spec) throws Exception {
        RecordingObserver recorder = new RecordingObserver();
        ContainerExit exit = launcher.run(spec, recorder);
        assertThat(recorder.ended).as("the end told to the observer").containsExactly(exit);
        return new Recorded(exit, recorder);
    }

    private record Recorded(ContainerExit exit, AtomicInteger started, RecordingObserver recorder) {
        Recorded(ContainerExit exit, RecordingObserver recorder) {
            this(exit, recorder.started, recorder);
        }

        String stdout() {
            return recorder.stdout();
        }

        String stderr() {
            return recorder.stderr();
        }
    }

}

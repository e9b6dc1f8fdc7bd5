package dev.coderun.worker.sandbox;

import static dev.coderun.worker.LocalRegistry.aBusyboxRun;
import static dev.coderun.worker.LocalRegistry.busybox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import dev.coderun.events.RunSpec;
import dev.coderun.worker.TestRuns.RunBuilder;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Warm runs against cold runs of the same spec, on the local Docker engine: a run that takes a warm container must not
 * be told apart from a cold one by anything it can see or report, and each warm container serves one run only.
 */
class WarmPoolIT {

    private static final URI HOST = URI.create("unix:///var/run/docker.sock");
    private static final Duration BOUND = Duration.ofSeconds(20);
    private static DockerClient docker;

    private final String workerId = "warm-it-" + System.nanoTime();
    private SandboxPolicy policy = new SandboxPolicy("65534:65534", 16L * 1024 * 1024);
    private ContainerLauncher cold;
    private WarmPool pool;
    private ContainerEvents events;
    private ContainerLauncher warm;

    @BeforeAll
    static void connect() {
        docker = SandboxConfiguration.dockerClient(HOST, 4);
    }

    @AfterAll
    static void disconnect() throws Exception {
        docker.close();
    }

    @BeforeEach
    void startPool() {
        cold = new ContainerLauncher(docker, HOST, workerId, Duration.ofMinutes(1));
        pool = new WarmPool(docker, 1, 2, Duration.ofMinutes(5), Clock.systemUTC(), 2);
        // As the worker runs it: a warm run's end, and a warm container's death, told by the engine's events.
        events = new ContainerEvents(docker, workerId);
        warm = new ContainerLauncher(docker, HOST, workerId, Duration.ofMinutes(1), pool, events);
        await().atMost(BOUND).until(events::live);
    }

    @AfterEach
    void removeEverything() {
        events.close();
        pool.close();
        cold.removeOrphans();
    }

    @Test
    void aWarmRunGivesWhatAColdRunGivesForTheSameSpec() throws Exception {
        List<RunBuilder> runs = List.of(
                aBusyboxRun().command("echo", "hello  world", "$HOME"),
                aBusyboxRun().command("echo abc | tr a-c x-z; echo oops >&2; exit 3"),
                aBusyboxRun().runtime(busybox().env(Map.of("A", "runtime-a", "B", "runtime-b")).build())
                        .env(Map.of("B", "run-b")).command("env | grep -v HOSTNAME | sort"),
                aBusyboxRun().stdin("line one\nline two").command("cat"),
                aBusyboxRun().stdin("0123456789abcdef".repeat(64 * 1024)).command("wc -c"),
                aBusyboxRun().stdin("x".repeat(1024 * 1024)).command("echo ignored"),
                aBusyboxRun().command("cat; echo done"),
                aBusyboxRun().stdin("no newline at the end").command("cat"),
                aBusyboxRun().env(Map.of("QUOTED", "it's \"here\" $HOME `id` \\n", "LINES", "one\ntwo\n#coderun"))
                        .command("echo \"$QUOTED|$LINES\""),
                aBusyboxRun().command("printf", "%s|", "a'b", "", "  ", "$(id)"),
                aBusyboxRun().command("env | grep -c -E '^(SHLVL|PWD)='"),
                aBusyboxRun().command("cat /proc/1/cmdline | tr '\\0' ' '"),
                aBusyboxRun().cwd("/tmp").command("pwd"),
                // Mode and owner of the directory the engine made, not its time: a warm one may be a minute older.
                aBusyboxRun().cwd("/no/such/dir").command("pwd; ls -ld . | awk '{print $1, $3, $4}'"),
                aBusyboxRun().command("id -u; id -g; id -G"),
                aBusyboxRun().command("echo x > /x; echo y > /tmp/y && cat /tmp/y"),
                aBusyboxRun().command("ls /sys/class/net"),
                aBusyboxRun().runtime(busybox().network("bridge").build()).command("ls /sys/class/net"),
                // A child that outlives the process is killed with it, as the end of a cold container kills it.
                aBusyboxRun().command("(sleep 1; echo late) & echo early"));
        for (RunBuilder run : runs) {
            Recorded coldRun = run(cold, run.runId(UUID.randomUUID().toString()).build());
            Recorded warmRun = runWarm(run.runId(UUID.randomUUID().toString()).build());

            assertThat(warmRun.stdout()).as("stdout of %s", run.build().command()).isEqualTo(coldRun.stdout());
            assertThat(warmRun.stderr()).as("stderr of %s", run.build().command()).isEqualTo(coldRun.stderr());
            assertThat(warmRun.exit.exitCode()).as("exit of %s", run.build().command())
                    .isEqualTo(coldRun.exit.exitCode());
            assertThat(warmRun.exit.timedOut()).isEqualTo(coldRun.exit.timedOut());
            assertThat(warmRun.exit.oomKilled()).isEqualTo(coldRun.exit.oomKilled());
            assertThat(warmRun.started()).hasValue(coldRun.started().get());
        }
    }

    /**
     * The engine refuses to start a cold one (no process ran); in a warm container the shell that was to {@code exec}
     * it finds it missing and says so in the engine's words, after the run counted as started.
     */
    @Test
    void aCommandThatDoesNotExistFailsWarmAsItFailsCold() throws Exception {
        RunBuilder run = aBusyboxRun().command("no-such-command", "arg");
        Recorded coldRun = run(cold, run.build());
        Recorded warmRun = runWarm(run.runId(UUID.randomUUID().toString()).build());

        assertThat(warmRun.exit.exitCode()).isEqualTo(coldRun.exit.exitCode()).isEqualTo(127);
        assertThat(warmRun.stderr()).contains("no-such-command").contains("executable file not found");
        assertThat(warmRun.stdout()).isEmpty();
        assertThat(coldRun.started()).hasValue(0);
        assertThat(warmRun.started()).hasValue(1);
    }

    /** Warm containers are created with the engine's networking off and the hosts file, as the cold ones are. */
    @Test
    void withTheHostsFileAWarmRunGivesWhatAColdRunGives(@TempDir Path dir) throws Exception {
        policy = new SandboxPolicy("65534:65534", 16L * 1024 * 1024, HostsFile.write(dir.resolve("hosts")));
        RunBuilder run = aBusyboxRun().command("ls /sys/class/net; cat /etc/hosts; echo x >> /etc/hosts; echo $?");
        PoolKey key = warmUp(run.build());
        String waiting = pooledContainers().iterator().next();
        var inspected = docker.inspectContainerCmd(waiting).exec();

        assertThat(key.hostsFile()).isEqualTo(dir.resolve("hosts").toString());
        assertThat(inspected.getConfig().getNetworkDisabled()).isTrue();
        assertThat(inspected.getHostConfig().getMounts()).singleElement().satisfies(mount -> {
            assertThat(mount.getSource()).isEqualTo(key.hostsFile());
            assertThat(mount.getTarget()).isEqualTo("/etc/hosts");
            assertThat(mount.getReadOnly()).isTrue();
        });
        Recorded coldRun = run(cold, run.runId(UUID.randomUUID().toString()).build());
        Recorded warmRun = runWarm(run.runId(UUID.randomUUID().toString()).build());

        assertThat(coldRun.stdout()).isEqualTo("lo\n" + HostsFile.CONTENT + "1\n");
        assertThat(warmRun.stdout()).isEqualTo(coldRun.stdout());
        assertThat(warmRun.takenId).isEqualTo(waiting);
    }

    @Test
    void eachWarmContainerServesOneRunAndIsRemovedAfterIt() throws Exception {
        Recorded first = runWarm(aBusyboxRun().command("hostname").build());
        Recorded second = runWarm(aBusyboxRun().command("hostname").build());

        assertThat(first.takenId).startsWith(first.stdout().strip());
        assertThat(second.takenId).startsWith(second.stdout().strip());
        assertThat(second.takenId).isNotEqualTo(first.takenId);
        assertThat(docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(first.takenId)).exec())
                .isEmpty();
    }

    @Test
    void aTakenContainerIsReplacedInTheBackground() throws Exception {
        RunSpec spec = aBusyboxRun().command("true").build();
        Recorded run = runWarm(spec);

        PoolKey key = PoolKey.of(policy.containerFor(spec, workerId));
        await().atMost(BOUND).until(() -> pool.readyCounts().getOrDefault(key, 0) == 1);
        assertThat(pooledContainers()).hasSize(1).doesNotContain(run.takenId);
    }

    @Test
    void aWarmProcessThatOutlivesItsTimeoutIsKilled() throws Exception {
        long started = System.nanoTime();
        Recorded run = runWarm(aBusyboxRun().command("echo before; sleep 30").timeoutSeconds(1).build());

        assertThat(run.exit.timedOut()).isTrue();
        assertThat(run.exit.exitCode()).isEqualTo(137);
        assertThat(run.exit.oomKilled()).isFalse();
        assertThat(run.stdout()).isEqualTo("before\n");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aWarmProcessOverItsMemoryLimitIsOomKilledAsACold() throws Exception {
        RunBuilder run = aBusyboxRun().runtime(busybox().memoryMb(8).build())
                .command("head -c 64000000 /dev/zero | tail -n 1 > /dev/null");
        Recorded coldRun = run(cold, run.build());
        Recorded warmRun = runWarm(run.runId(UUID.randomUUID().toString()).build());

        assertThat(coldRun.exit.oomKilled()).isTrue();
        assertThat(warmRun.exit.oomKilled()).isTrue();
        assertThat(warmRun.exit.exitCode()).isEqualTo(coldRun.exit.exitCode()).isEqualTo(137);
    }

    /**
     * The run's process is the container's first, warm as cold: the kernel ignores its own SIGKILL to itself, and a
     * child it kills is not the run's end.
     */
    @Test
    void aWarmProcessIsTheContainersFirstAsACold() throws Exception {
        RunBuilder run = aBusyboxRun().command("echo $$; kill -9 $$; sleep 30 & kill -9 $!; wait; echo after");
        Recorded coldRun = run(cold, run.build());
        Recorded warmRun = runWarm(run.runId(UUID.randomUUID().toString()).build());

        assertThat(coldRun.stdout()).startsWith("1\n").endsWith("after\n");
        assertThat(warmRun.stdout()).isEqualTo(coldRun.stdout());
        assertThat(warmRun.exit.exitCode()).isEqualTo(coldRun.exit.exitCode()).isZero();
        assertThat(warmRun.exit.oomKilled()).isFalse();
    }

    /** The waiting shell becomes the run's process ({@code exec}): the run gets exactly the runtime's pids limit. */
    @Test
    void theWarmPidsLimitIsTheColdOne() throws Exception {
        // The shell and fifteen sleeps are sixteen processes; sixteen sleeps are one too many. A limit this size, not a
        // smaller one: a cold container's runc init (a Go process, its threads counted) must fit in it before the shell
        // starts, and under load a limit of 4 failed it about once in a hundred starts ("pthread_create failed").
        RunBuilder fits = aBusyboxRun().runtime(busybox().pidsLimit(16).build())
                .command(sleeps(15) + "wait; echo fits");
        RunBuilder tooMany = aBusyboxRun().runtime(busybox().pidsLimit(16).build())
                .command(sleeps(16) + "wait; echo done");

        for (RunBuilder run : List.of(fits, tooMany)) {
            Recorded coldRun = run(cold, run.runId(UUID.randomUUID().toString()).build());
            Recorded warmRun = runWarm(run.runId(UUID.randomUUID().toString()).build());
            assertThat(warmRun.stdout()).isEqualTo(coldRun.stdout());
            assertThat(warmRun.stderr()).isEqualTo(coldRun.stderr());
        }
        assertThat(run(cold, fits.build()).stdout()).isEqualTo("fits\n");
        assertThat(run(cold, tooMany.build()).stderr()).contains("can't fork");
    }

    /** {@code n} background sleeps started by the shell itself (no command substitution, which would fork too). */
    private static String sleeps(int n) {
        return "sleep 2 & ".repeat(n);
    }

    @Test
    void aSpecWithAnotherKeyNeverTakesAWarmContainer() throws Exception {
        RunSpec small = aBusyboxRun().runtime(busybox().memoryMb(64).build()).build();
        PoolKey key = warmUp(small);
        Set<String> before = pooledContainers();

        Recorded other = run(warm, aBusyboxRun().runtime(busybox().memoryMb(65).build()).command("hostname").build());

        assertThat(before).noneMatch(id -> id.startsWith(other.stdout().strip()));
        assertThat(pool.readyCounts().get(key)).isEqualTo(1);
        assertThat(pooledContainers()).containsAll(before);
    }

    @Test
    void anInterruptedWarmRunKillsItsProcessAndRemovesTheContainer() throws Exception {
        RunSpec spec = aBusyboxRun().command("echo started; sleep 30").timeoutSeconds(60).build();
        warmUp(spec);
        String taken = pooledContainers().iterator().next();
        Recorder recorder = new Recorder(null);
        CompletableFuture<ContainerExit> exit = new CompletableFuture<>();
        Thread thread = Thread.ofVirtual().start(() -> {
            try {
                exit.complete(warm.run(policy.containerFor(spec, workerId), recorder));
            } catch (Exception e) {
                exit.completeExceptionally(e);
            }
        });
        await().atMost(BOUND).until(() -> recorder.stdout().equals("started\n"));

        thread.interrupt();

        await().atMost(BOUND).until(exit::isDone);
        assertThat(exit).failsWithin(Duration.ZERO).withThrowableThat().havingCause()
                .isInstanceOf(InterruptedException.class);
        assertThat(recorder.started).hasValue(1);
        assertThat(recorder.ended).as("an interrupted run tells no end").isEmpty();
        assertThat(docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(taken)).exec()).isEmpty();
    }

    /**
     * A warm container whose shell died while it waited (killed here; an operator's {@code docker kill}, say) is told
     * by its die event and never handed a run: the run goes cold and succeeds.
     */
    @Test
    void aWarmContainerThatDiedWhileItWaitedIsNotTakenAndTheRunGoesCold() throws Exception {
        RunSpec spec = aBusyboxRun().command("echo fine").build();
        warmUp(spec);
        String waiting = pooledContainers().iterator().next();
        docker.killContainerCmd(waiting).exec();
        await().atMost(BOUND).until(() -> events.died(waiting));

        Recorded ran = run(warm, spec);

        assertThat(ran.exit().exitCode()).isZero();
        assertThat(ran.stdout()).isEqualTo("fine\n");
        assertThat(ran.started()).hasValue(1);
    }

    @Test
    void closingThePoolRemovesEveryWarmContainer() {
        warmUp(aBusyboxRun().build());
        warmUp(aBusyboxRun().runtime(busybox().memoryMb(32).build()).build());
        assertThat(pooledContainers()).hasSize(2);

        pool.close();

        assertThat(pooledContainers()).isEmpty();
        assertThat(pool.take(PoolKey.of(policy.containerFor(aBusyboxRun().build(), workerId)))).isEmpty();
    }

    @Test
    void warmContainersACrashLeftBehindAreRemovedByTheNextStartsOrphanSweep() {
        warmUp(aBusyboxRun().build());
        warmUp(aBusyboxRun().runtime(busybox().memoryMb(32).build()).build());
        Set<String> left = pooledContainers();
        assertThat(left).hasSize(2);
        // The crashed process's pool is simply dropped; the next process of the same worker sweeps at its start.
        WarmPool crashed = pool;
        pool = new WarmPool(docker, 1, 2, Duration.ofMinutes(5), Clock.systemUTC(), 2);
        try {
            int removed = new ContainerLauncher(docker, HOST, workerId, Duration.ofMinutes(1)).removeOrphans();

            assertThat(removed).isEqualTo(2);
            assertThat(pooledContainers()).isEmpty();
            assertThat(docker.listContainersCmd().withShowAll(true).withIdFilter(List.copyOf(left)).exec()).isEmpty();
        } finally {
            crashed.close();
        }
    }

    @Test
    void theWarmPoolKeepsAtMostItsCapOverAllKeysTheMostRecentFirst() {
        PoolKey first = warmUp(aBusyboxRun().runtime(busybox().memoryMb(31).build()).build());
        PoolKey second = warmUp(aBusyboxRun().runtime(busybox().memoryMb(32).build()).build());
        PoolKey third = warmUp(aBusyboxRun().runtime(busybox().memoryMb(33).build()).build());

        await().atMost(BOUND).until(() -> pooledContainers().size() == 2);
        assertThat(pool.readyCounts()).containsEntry(second, 1).containsEntry(third, 1).doesNotContainKey(first);
    }

    @Test
    void aKeyRunSeveralTimesAtOnceGetsAContainerForEachOfThoseRuns() {
        pool.close();
        pool = new WarmPool(docker, 1, 4, Duration.ofMinutes(5), Clock.systemUTC(), 2);
        PoolKey busy = warmUp(aBusyboxRun().build());
        assertThat(pool.readyCounts()).containsEntry(busy, 1);

        for (int i = 0; i < 3; i++) {
            pool.begin(busy);
        }
        pool.end(busy);

        await().atMost(BOUND).until(() -> pool.readyCounts().getOrDefault(busy, 0) == 3);
        assertThat(pooledContainers()).hasSize(3);
    }

    /** Records the key's demand and waits until its warm container is ready. */
    private PoolKey warmUp(RunSpec spec) {
        PoolKey key = PoolKey.of(policy.containerFor(spec, workerId));
        pool.demanded(key);
        await().atMost(BOUND).until(() -> pool.readyCounts().getOrDefault(key, 0) >= 1);
        return key;
    }

    /** Runs the spec in a container taken from the pool; fails when none was taken. */
    private Recorded runWarm(RunSpec spec) throws Exception {
        warmUp(spec);
        Set<String> before = pooledContainers();
        Recorder recorder = new Recorder(this::pooledContainers);
        ContainerExit exit = warm.run(policy.containerFor(spec, workerId), recorder);
        Set<String> taken = before.stream()
                .filter(id -> docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(id)).exec().isEmpty())
                .collect(Collectors.toSet());
        assertThat(taken).as("warm containers the run took").hasSize(1);
        assertThat(recorder.ended).as("the end told to the observer").containsExactly(exit);
        assertThat(recorder.containersAtEnd).as("the taken container is still there when the end is told")
                .containsAll(taken);
        return new Recorded(exit, recorder, taken.iterator().next());
    }

    private Set<String> pooledContainers() {
        return docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(SandboxPolicy.LABEL_WORKER_ID, workerId, WarmPool.LABEL_POOL, "warm"))
                .exec().stream().map(container -> container.getId()).collect(Collectors.toSet());
    }

    private Recorded run(ContainerLauncher launcher, RunSpec spec) throws Exception {
        Recorder recorder = new Recorder(null);
        ContainerExit exit = launcher.run(policy.containerFor(spec, workerId), recorder);
        assertThat(recorder.ended).as("the end told to the observer").containsExactly(exit);
        return new Recorded(exit, recorder, null);
    }

    private record Recorded(ContainerExit exit, Recorder recorder, String takenId) {
        AtomicInteger started() {
            return recorder.started;
        }

        String stdout() {
            return recorder.stdout();
        }

        String stderr() {
            return recorder.stderr();
        }
    }

    /** Also lists the pool's containers at the moment the end is told, when given how to. */
    private static final class Recorder extends RecordingObserver {
        /** Lists the containers that {@link #containersAtEnd} should record when the end is told; null for none. */
        private final Supplier<Set<String>> containers;
        volatile Set<String> containersAtEnd;

        Recorder(Supplier<Set<String>> containers) {
            this.containers = containers;
        }

        @Override
        public void ended(ContainerExit exit) {
            super.ended(exit);
            if (containers != null) {
                containersAtEnd = containers.get();
            }
        }
    }
}

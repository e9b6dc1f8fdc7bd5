package dev.coderun.worker.sandbox;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse.ContainerState;
import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.api.model.WaitResponse;
import dev.coderun.events.OutputChunk.OutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link ContainerSpec} to its end on a Docker engine: pull the pinned image if missing, create, attach, start,
 * wait up to the timeout (then kill), inspect, tell the observer the end ({@link ContainerObserver#ended}), remove. The
 * end is told as soon as it is known and before the removal, which takes the engine a hundred milliseconds or more
 * (for a warm container it kills the waiter first): a caller can report the run while the container goes. The container
 * is removed whatever happens, and every byte the process wrote has reached the observer, when {@link #run} returns.
 * Thread-safe; one call per run.
 *
 * <p>With a {@link WarmPool}, a run whose {@link PoolKey} has a warm container ready runs its process in it instead
 * ({@code docker exec}: same command, env, user, stdin, timeout and output capture; the limits are the container's), and
 * that container is removed after this one run. A run that finds none goes cold, as without a pool.
 *
 * <p>An interrupt of the calling thread stops the run in whatever phase it is: it takes effect between engine calls,
 * never inside one ({@link #uninterrupted}), so the launcher always knows what the engine did (a container created, a
 * process started) and ends it.
 */
public final class ContainerLauncher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ContainerLauncher.class);

    /** The attach request is answered at once by a healthy engine; this only bounds a wedged one. */
    private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(30);
    /** After SIGKILL the engine reports the exit within milliseconds; this only bounds a wedged one. */
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(30);
    /** After the exit the attach stream only carries what is still buffered in the engine. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);
    /** A warm run's process is checked this often at first while it runs, then less often up to the max. */
    private static final Duration EXIT_POLL_MIN = Duration.ofMillis(50);
    private static final Duration EXIT_POLL_MAX = Duration.ofSeconds(1);
    /** How often the engine is asked whether a warm run's process started (it takes tens of milliseconds). */
    private static final Duration START_POLL = Duration.ofMillis(3);
    /** How long after a warm run's SIGKILL exit the engine's oom event may come. */
    private static final Duration OOM_EVENT_WAIT = Duration.ofSeconds(1);
    private static final long SIGKILL_EXIT_CODE = 137;
    /** What the engine reports for a time it does not know. */
    private static final Instant ZERO_TIME = Instant.parse("0001-01-01T00:00:00Z");

    private final DockerClient docker;
    private final URI dockerHost;
    private final String workerId;
    private final Duration pullTimeout;
    private final WarmPool pool;

    /** @param dockerHost the engine {@code docker} talks to; stdin is fed over a connection of its own */
    public ContainerLauncher(DockerClient docker, URI dockerHost, String workerId, Duration pullTimeout) {
        this(docker, dockerHost, workerId, pullTimeout, null);
    }

    /** @param pool where warm containers are taken from, closed with the launcher; null for none (every run cold) */
    public ContainerLauncher(
            DockerClient docker, URI dockerHost, String workerId, Duration pullTimeout, WarmPool pool) {
        this.docker = docker;
        this.dockerHost = dockerHost;
        this.workerId = workerId;
        this.pullTimeout = pullTimeout;
        this.pool = pool;
    }

    /**
     * Runs the container and blocks until it ended and is removed. Its end goes to {@link ContainerObserver#ended}
     * first, before the removal; an interrupt that comes once the end is known changes nothing (the end is told and
     * returned, and the removal is not cut short).
     *
     * @throws ImageUnavailableException the image is not on the engine and could not be pulled; nothing ran
     * @throws InterruptedException the calling thread was interrupted before the process ended by itself: the process,
     *     if it started, was killed, and what it wrote until then has reached the observer; the container is removed,
     *     and {@code ended} was not called
     */
    public ContainerExit run(ContainerSpec spec, ContainerObserver observer)
            throws ImageUnavailableException, InterruptedException {
        if (pool == null) {
            return runOnce(spec, observer);
        }
        PoolKey key = PoolKey.of(spec);
        pool.begin(key);
        try {
            return runOnce(spec, observer);
        } finally {
            pool.end(key);
        }
    }

    private ContainerExit runOnce(ContainerSpec spec, ContainerObserver observer)
            throws ImageUnavailableException, InterruptedException {
        Optional<ContainerExit> warm = runWarm(spec, observer);
        if (warm.isPresent()) {
            return warm.get();
        }
        ensureImage(spec.image());
        if (pool != null) {
            pool.demanded(PoolKey.of(spec));
        }
        if (Thread.interrupted()) {
            throw new InterruptedException("stopped before the container was created");
        }
        String containerId = uninterrupted(() -> create(spec));
        try {
            observer.created();
            ContainerExit exit = attachStartAndWait(containerId, spec, observer);
            observer.ended(exit);
            return exit;
        } finally {
            remove(containerId);
        }
    }

    /**
     * Runs the spec in a warm container when the pool has one for its key; empty when it has none, or when the one
     * taken no longer runs (it is removed, and the run goes cold; the observer heard nothing). A taken container is
     * removed whatever happens, after the observer heard the end.
     */
    private Optional<ContainerExit> runWarm(ContainerSpec spec, ContainerObserver observer)
            throws InterruptedException {
        if (pool == null) {
            return Optional.empty();
        }
        Optional<String> taken = pool.take(PoolKey.of(spec));
        if (taken.isEmpty()) {
            return Optional.empty();
        }
        String containerId = taken.get();
        try {
            if (Thread.interrupted()) {
                throw new InterruptedException("stopped before the process was started");
            }
            String execId;
            try {
                execId = uninterrupted(() -> createExec(containerId, spec));
            } catch (ConflictException | NotFoundException notRunning) {
                log.warn("warm container {} no longer runs; starting cold", containerId);
                return Optional.empty();
            }
            // The run id is not on a warm container's labels (set at creation); this line ties the two together.
            log.info("running in warm container {}", containerId);
            observer.created();
            ContainerExit exit = startExecAndWait(containerId, execId, spec, observer);
            observer.ended(exit);
            return Optional.of(exit);
        } finally {
            remove(containerId);
        }
    }

    private String createExec(String containerId, ContainerSpec spec) {
        List<String> command = new ArrayList<>(spec.entrypoint());
        command.addAll(spec.cmd());
        // No working dir: the container was created with the spec's (it is in the pool key), and execs inherit it.
        return docker.execCreateCmd(containerId)
                .withCmd(command.toArray(String[]::new))
                .withEnv(spec.env())
                .withUser(spec.user())
                .withTty(false)
                .withAttachStdout(true)
                .withAttachStderr(true)
                .withAttachStdin(spec.hasStdin())
                .exec()
                .getId();
    }

    private ContainerExit startExecAndWait(
            String containerId, String execId, ContainerSpec spec, ContainerObserver observer)
            throws InterruptedException {
        HeldOutput output = new HeldOutput(observer);
        Instant execStarted = Instant.now();
        byte[] stdin = spec.hasStdin() ? spec.stdin().getBytes(StandardCharsets.UTF_8) : null;
        try (ExecSession session = uninterrupted(() -> ExecSession.start(dockerHost, execId, stdin, output))) {
            try {
                return awaitExec(containerId, execId, spec, observer, output, session, execStarted);
            } catch (InterruptedException e) {
                kill(containerId);
                if (output.released() && !session.awaitEnded(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("output of stopped container {} did not drain within {}", containerId, DRAIN_TIMEOUT);
                }
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the exec stream of container " + containerId + " failed", e);
        }
    }

    /**
     * The warm counterpart of {@link #startAndWait}. The run ends when its process exits, as a cold container ends with
     * its main process: processes it left behind are killed with the container, and output they write after the exit
     * is not the run's (the engine would otherwise hold the exec's stream open for them).
     */
    private ContainerExit awaitExec(String containerId, String execId, ContainerSpec spec, ContainerObserver observer,
            HeldOutput output, ExecSession session, Instant execStarted) throws InterruptedException {
        Optional<ContainerExit> failedStart = awaitProcessStart(execId, session, observer, output);
        if (failedStart.isPresent()) {
            return failedStart.get();
        }
        long startedNanos = System.nanoTime();
        observer.started();
        output.release();
        long deadline = startedNanos + spec.timeout().toNanos();
        long pollMs = EXIT_POLL_MIN.toMillis();
        boolean timedOut = false;
        while (true) {
            long leftNanos = deadline - System.nanoTime();
            if (leftNanos <= 0) {
                timedOut = kill(containerId);
                break;
            }
            if (session.awaitEnded(Math.min(TimeUnit.NANOSECONDS.toMillis(leftNanos) + 1, pollMs),
                    TimeUnit.MILLISECONDS)) {
                break;
            }
            // Its output is still open: the process may have exited, leaving a child that holds it.
            if (!Boolean.TRUE.equals(inspectExec(execId).isRunning())) {
                break;
            }
            pollMs = Math.min(pollMs * 2, EXIT_POLL_MAX.toMillis());
        }
        // From the start request, not from when the engine named the process: a short process may have ended by then.
        long wallMs = Math.max(0, Duration.between(execStarted, Instant.now()).toMillis());
        if (!session.hasEnded()) {
            kill(containerId);
        }
        if (!session.awaitEnded(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("output of container {} did not drain within {}; it may be incomplete", containerId,
                    DRAIN_TIMEOUT);
        }
        Long exitCode = awaitExecExitCode(execId);
        boolean oomKilled = !timedOut && exitCode != null && exitCode != 0
                && oomKilled(containerId, execStarted, exitCode == SIGKILL_EXIT_CODE);
        return new ContainerExit(timedOut, exitCode == null ? null : exitCode.intValue(), oomKilled, wallMs);
    }

    /**
     * Waits until the engine started the exec's process (it answers the start before starting it). Its output is held
     * until then: when the engine cannot start it, what came is the engine's reason, which goes to stderr with the
     * exit code a cold start gives for it (127 not found, 126 not executable), and the observer hears no start.
     */
    private Optional<ContainerExit> awaitProcessStart(
            String execId, ExecSession session, ContainerObserver observer, HeldOutput output)
            throws InterruptedException {
        long deadline = System.nanoTime() + ATTACH_TIMEOUT.toNanos();
        while (true) {
            InspectExecResponse exec = inspectExec(execId);
            if (exec.getPidLong() != null && exec.getPidLong() > 0) {
                return Optional.empty();
            }
            if (exec.getExitCodeLong() != null && !Boolean.TRUE.equals(exec.isRunning())) {
                session.awaitEnded(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                String reason = output.discard().strip();
                observer.output(OutputStream.STDERR, (reason + "\n").getBytes(StandardCharsets.UTF_8));
                return Optional.of(
                        new ContainerExit(false, startFailureExitCode(reason, exec.getExitCodeLong()), false, 0));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the engine did not start exec " + execId);
            }
            TimeUnit.MILLISECONDS.sleep(START_POLL.toMillis());
        }
    }

    /**
     * The exit code a container start that failed for {@code reason} gets from the engine (which gives an exec 126 for
     * every failed start): 127 when the command is not there, 126 when it cannot be executed.
     */
    static int startFailureExitCode(String reason, long engineExitCode) {
        if (reason.contains("executable file not found") || reason.contains("no such file or directory")) {
            return 127;
        }
        if (reason.contains("permission denied")) {
            return 126;
        }
        return (int) engineExitCode;
    }

    /** The engine records the exit code when it handles the exit, which may come just after the output ended. */
    private Long awaitExecExitCode(String execId) throws InterruptedException {
        long deadline = System.nanoTime() + KILL_TIMEOUT.toNanos();
        while (true) {
            InspectExecResponse exec = inspectExec(execId);
            if (!Boolean.TRUE.equals(exec.isRunning()) && exec.getExitCodeLong() != null) {
                return exec.getExitCodeLong();
            }
            if (System.nanoTime() > deadline) {
                log.warn("the engine reported no exit code for exec {}", execId);
                return null;
            }
            TimeUnit.MILLISECONDS.sleep(START_POLL.toMillis());
        }
    }

    /**
     * Whether the kernel killed a process of the run for memory. A container's {@code OOMKilled} covers only its main
     * process (here the pool's waiter), so the engine's {@code oom} event for the container counts too: any since the
     * exec started is this run's, the container being single-use. The event comes a few tens of milliseconds after
     * the process's exit, so for a SIGKILL exit (the OOM killer's signal) it is awaited up to {@link #OOM_EVENT_WAIT};
     * for other exits only events already there count.
     */
    private boolean oomKilled(String containerId, Instant since, boolean awaitEvent) throws InterruptedException {
        ContainerState state = uninterrupted(() -> docker.inspectContainerCmd(containerId).exec()).getState();
        if (Boolean.TRUE.equals(state.getOOMKilled())) {
            return true;
        }
        Instant until = awaitEvent ? Instant.now().plus(OOM_EVENT_WAIT) : Instant.now();
        try (OomEventWaiter waiter = docker.eventsCmd()
                .withContainerFilter(containerId)
                .withEventFilter("oom")
                .withSince(engineTimestamp(since))
                .withUntil(engineTimestamp(until))
                .exec(new OomEventWaiter())) {
            return waiter.seen.get(OOM_EVENT_WAIT.plus(ATTACH_TIMEOUT).toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException | IOException e) {
            log.warn("could not read the oom events of container {}", containerId, e);
            return false;
        }
    }

    /** Seconds since the epoch with nanoseconds, as the engine's event filters take them. */
    private static String engineTimestamp(Instant time) {
        return time.getEpochSecond() + "." + String.format("%09d", time.getNano());
    }

    private InspectExecResponse inspectExec(String execId) {
        return uninterrupted(() -> docker.inspectExecCmd(execId).exec());
    }

    /** Drains the warm pool, if any; call when no run uses the launcher any more. */
    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
    }

    /** Removes every container labelled with this worker's id: what a previous process of this worker left behind. */
    public int removeOrphans() {
        List<Container> orphans = docker.listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(Map.of(SandboxPolicy.LABEL_WORKER_ID, workerId))
                .exec();
        for (Container orphan : orphans) {
            log.info("removing orphaned container {} ({})", orphan.getId(),
                    orphan.getLabels().containsKey(WarmPool.LABEL_POOL)
                            ? "warm, never used"
                            : "run " + orphan.getLabels().get(SandboxPolicy.LABEL_RUN_ID));
            remove(orphan.getId());
        }
        return orphans.size();
    }

    private void ensureImage(String image) throws ImageUnavailableException, InterruptedException {
        try {
            uninterrupted(() -> docker.inspectImageCmd(image).exec());
            return;
        } catch (NotFoundException absent) {
            log.info("pulling {}", image);
        }
        int at = image.indexOf('@');
        try (PullWaiter pull = docker.pullImageCmd(image.substring(0, at))
                .withTag(image.substring(at + 1))
                .exec(new PullWaiter())) {
            pull.done.get(pullTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ImageUnavailableException(image, "pull did not finish within " + pullTimeout);
        } catch (ExecutionException e) {
            throw new ImageUnavailableException(image, e.getCause().getMessage());
        } catch (IOException e) {
            // Closing the pull's stream changes nothing about the image.
            log.debug("closing the pull stream of {} failed", image, e);
        }
    }

    /** The container's limits and lock-down; the one place both cold and warm containers get them from. */
    static HostConfig hostConfig(long memoryBytes, long nanoCpus, long pidsLimit, String networkMode,
            boolean readOnlyRootfs, Map<String, String> tmpfs, List<String> capDrop, List<String> securityOpts) {
        return HostConfig.newHostConfig()
                .withMemory(memoryBytes)
                .withMemorySwap(memoryBytes)
                .withNanoCPUs(nanoCpus)
                .withPidsLimit(pidsLimit)
                .withNetworkMode(networkMode)
                .withReadonlyRootfs(readOnlyRootfs)
                .withTmpFs(tmpfs)
                .withCapDrop(capDrop.stream().map(Capability::valueOf).toArray(Capability[]::new))
                .withSecurityOpts(securityOpts);
    }

    private String create(ContainerSpec spec) {
        HostConfig host = hostConfig(spec.memoryBytes(), spec.nanoCpus(), spec.pidsLimit(), spec.networkMode(),
                spec.readOnlyRootfs(), spec.tmpfs(), spec.capDrop(), spec.securityOpts());
        CreateContainerCmd create = docker.createContainerCmd(spec.image())
                .withEntrypoint(spec.entrypoint())
                .withCmd(spec.cmd())
                .withEnv(spec.env())
                .withUser(spec.user())
                .withLabels(spec.labels())
                .withHostConfig(host)
                .withTty(false)
                .withAttachStdout(true)
                .withAttachStderr(true)
                .withAttachStdin(spec.hasStdin())
                .withStdinOpen(spec.hasStdin())
                // The engine closes the process's stdin when the attached client's stdin ends.
                .withStdInOnce(spec.hasStdin());
        if (spec.workingDir() != null) {
            create.withWorkingDir(spec.workingDir());
        }
        return create.exec().getId();
    }

    private ContainerExit attachStartAndWait(String containerId, ContainerSpec spec, ContainerObserver observer)
            throws InterruptedException {
        // Both attached before the start, so not a byte of output is missed and stdin is there when the process reads.
        try (OutputForwarder output = docker.attachContainerCmd(containerId)
                        .withStdOut(true)
                        .withStdErr(true)
                        .withFollowStream(true)
                        .exec(new OutputForwarder(observer));
                StdinFeeder stdin = spec.hasStdin()
                        ? uninterrupted(() -> StdinFeeder.attach(dockerHost, containerId))
                        : null) {
            try {
                return startAndWait(containerId, spec, observer, output, stdin);
            } catch (InterruptedException e) {
                killAndDrain(containerId, output);
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("attaching to container " + containerId + " failed", e);
        }
    }

    /** Every wait in here is where an interrupt takes effect (one during an engine call, at the next wait). */
    private ContainerExit startAndWait(
            String containerId, ContainerSpec spec, ContainerObserver observer, OutputForwarder output,
            StdinFeeder stdin) throws InterruptedException {
        if (!output.awaitStarted(ATTACH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("attaching to container " + containerId + " timed out");
        }
        Optional<ContainerExit> failedStart = start(containerId, observer);
        if (failedStart.isPresent()) {
            return failedStart.get();
        }
        long startedNanos = System.nanoTime();
        observer.started();
        if (stdin != null) {
            stdin.feed(spec.stdin().getBytes(StandardCharsets.UTF_8));
        }
        boolean timedOut = awaitExit(containerId, spec.timeout());
        long wallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
        if (!output.awaitDrained(DRAIN_TIMEOUT)) {
            log.warn("output of container {} did not drain within {}; it may be incomplete", containerId,
                    DRAIN_TIMEOUT);
        }
        ContainerState state = uninterrupted(() -> docker.inspectContainerCmd(containerId).exec()).getState();
        return new ContainerExit(
                timedOut,
                state.getExitCodeLong() == null ? null : state.getExitCodeLong().intValue(),
                Boolean.TRUE.equals(state.getOOMKilled()),
                durationMs(state).orElse(wallMs));
    }

    /**
     * Ends an interrupted run's process: kills it if it runs, and if it ever ran waits until its output up to the kill
     * has reached the observer (the attach stream ends with the process). A container that never started has no output
     * to wait for; the removal that follows ends it.
     */
    private void killAndDrain(String containerId, OutputForwarder output) throws InterruptedException {
        try {
            kill(containerId);
            ContainerState state = uninterrupted(() -> docker.inspectContainerCmd(containerId).exec()).getState();
            if (engineTime(state.getStartedAt()).isPresent() && !output.awaitDrained(DRAIN_TIMEOUT)) {
                log.warn("output of stopped container {} did not drain within {}", containerId, DRAIN_TIMEOUT);
            }
        } catch (RuntimeException e) {
            // The removal that follows kills it all the same; only output written just before the kill may be missed.
            log.warn("stopping container {} failed; removing it", containerId, e);
        }
    }

    /**
     * Starts the process. When the engine cannot (the command does not exist or is not executable) that is the run's
     * failure, not the platform's: the engine's reason goes to stderr and its exit code (127, 126) is the run's, as a
     * shell would report it.
     */
    private Optional<ContainerExit> start(String containerId, ContainerObserver observer) {
        try {
            uninterrupted(() -> docker.startContainerCmd(containerId).exec());
            return Optional.empty();
        } catch (DockerException e) {
            ContainerState state = uninterrupted(() -> docker.inspectContainerCmd(containerId).exec()).getState();
            Long exitCode = state.getExitCodeLong();
            if (exitCode == null || exitCode == 0 || state.getError() == null || state.getError().isBlank()) {
                throw e;
            }
            observer.output(OutputStream.STDERR, (state.getError() + "\n").getBytes(StandardCharsets.UTF_8));
            return Optional.of(new ContainerExit(false, exitCode.intValue(), false, 0));
        }
    }

    /** Waits for the process to exit; kills it when the timeout passes first. Returns whether it timed out. */
    private boolean awaitExit(String containerId, Duration timeout) throws InterruptedException {
        try (ExitWaiter exit = docker.waitContainerCmd(containerId).exec(new ExitWaiter())) {
            try {
                exit.statusCode.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return false;
            } catch (TimeoutException outlived) {
                boolean killed = kill(containerId);
                exit.statusCode.get(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                return killed;
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("container " + containerId + " did not stop after a kill");
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for container " + containerId + " failed", e.getCause());
        } catch (IOException e) {
            throw new UncheckedIOException("closing the wait on container " + containerId + " failed", e);
        }
    }

    /** Returns false when the process had already exited. */
    private boolean kill(String containerId) {
        try {
            uninterrupted(() -> docker.killContainerCmd(containerId).exec());
            return true;
        } catch (ConflictException | NotModifiedException | NotFoundException notRunning) {
            return false;
        }
    }

    /**
     * Makes one synchronous engine call on a thread of its own and waits until it finished, even when interrupted; the
     * interrupt status is then set again, for the caller's next wait. docker-java reaches a {@code unix://} engine over
     * an interruptible channel: on the run's thread, an interrupt during a call (or pending when it starts) would close
     * the connection and fail the call whatever the engine already did (a container created, a process started,
     * unknown to the launcher), and would fail every later call at once. The call's exception is rethrown as it is; a
     * checked one wrapped.
     */
    private static <T> T uninterrupted(Callable<T> engineCall) {
        FutureTask<T> call = new FutureTask<>(engineCall);
        Thread.ofVirtual().name("docker-call").start(call);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return call.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw switch (e.getCause()) {
                        case RuntimeException unchecked -> unchecked;
                        case IOException io -> new UncheckedIOException(io);
                        default -> new IllegalStateException(e.getCause());
                    };
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void remove(String containerId) {
        try {
            uninterrupted(() -> docker.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec());
        } catch (NotFoundException gone) {
            // Already removed: the outcome wanted.
        } catch (RuntimeException e) {
            log.error("could not remove container {}; the next start of worker {} removes it", containerId,
                    workerId, e);
        }
    }

    private static Optional<Long> durationMs(ContainerState state) {
        Optional<Instant> started = engineTime(state.getStartedAt());
        Optional<Instant> finished = engineTime(state.getFinishedAt());
        if (started.isEmpty() || finished.isEmpty() || finished.get().isBefore(started.get())) {
            return Optional.empty();
        }
        return Optional.of(Duration.between(started.get(), finished.get()).toMillis());
    }

    /** A time the engine reports; empty when it does not know it. */
    private static Optional<Instant> engineTime(String time) {
        try {
            return Optional.of(Instant.parse(time)).filter(known -> !known.equals(ZERO_TIME));
        } catch (DateTimeParseException | NullPointerException unknown) {
            return Optional.empty();
        }
    }

    /** Forwards the attach stream's frames, split into stdout and stderr, to the observer. */
    private static final class OutputForwarder extends ResultCallback.Adapter<Frame> {

        private final ContainerObserver observer;
        private final CountDownLatch drained = new CountDownLatch(1);

        OutputForwarder(ContainerObserver observer) {
            this.observer = observer;
        }

        @Override
        public void onNext(Frame frame) {
            switch (frame.getStreamType()) {
                case STDOUT, RAW -> observer.output(OutputStream.STDOUT, frame.getPayload());
                case STDERR -> observer.output(OutputStream.STDERR, frame.getPayload());
                case STDIN -> {
                    // The engine never sends stdin back on a non-TTY attach.
                }
            }
        }

        @Override
        public void onComplete() {
            drained.countDown();
            super.onComplete();
        }

        @Override
        public void onError(Throwable failure) {
            drained.countDown();
            super.onError(failure);
        }

        /**
         * Unlike {@code awaitCompletion(timeout)}, which in docker-java 3.7 closes the stream when it returns, this
         * only waits.
         */
        boolean awaitDrained(Duration timeout) throws InterruptedException {
            return drained.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** The warm run's frames, held until the engine started the process, then passed on as they come. */
    private static final class HeldOutput implements ExecSession.FrameSink {

        private final ContainerObserver observer;
        private List<byte[]> heldStdout = new ArrayList<>();
        private List<Map.Entry<OutputStream, byte[]>> held = new ArrayList<>();
        private boolean released;

        HeldOutput(ContainerObserver observer) {
            this.observer = observer;
        }

        @Override
        public synchronized void frame(int stream, byte[] payload) {
            OutputStream to = switch (stream) {
                case ExecSession.STDOUT -> OutputStream.STDOUT;
                case ExecSession.STDERR -> OutputStream.STDERR;
                default -> null; // stdin: never sent back without a TTY
            };
            if (to == null) {
                return;
            }
            if (released) {
                observer.output(to, payload);
            } else if (held != null) {
                held.add(Map.entry(to, payload));
                if (to == OutputStream.STDOUT) {
                    heldStdout.add(payload);
                }
            }
        }

        /** The process runs: what it wrote so far, then all it writes, goes to the observer. */
        synchronized void release() {
            held.forEach(frame -> observer.output(frame.getKey(), frame.getValue()));
            held = null;
            released = true;
        }

        synchronized boolean released() {
            return released;
        }

        /** The process never ran: what came is the engine's reason on stdout. Returned, and nothing more is passed on. */
        synchronized String discard() {
            StringBuilder reason = new StringBuilder();
            heldStdout.forEach(bytes -> reason.append(new String(bytes, StandardCharsets.UTF_8)));
            held = null;
            return reason.toString();
        }
    }

    /** Whether the engine reported an {@code oom} event before the events request ended. */
    private static final class OomEventWaiter extends ResultCallback.Adapter<Event> {

        final CompletableFuture<Boolean> seen = new CompletableFuture<>();

        @Override
        public void onNext(Event event) {
            seen.complete(true);
        }

        @Override
        public void onComplete() {
            seen.complete(false);
            super.onComplete();
        }

        @Override
        public void onError(Throwable failure) {
            seen.completeExceptionally(failure);
            super.onError(failure);
        }
    }

    /** The end of a pull: an error the engine reports in the stream (HTTP 200) or as the response fails it. */
    private static final class PullWaiter extends ResultCallback.Adapter<PullResponseItem> {

        final CompletableFuture<Void> done = new CompletableFuture<>();

        @Override
        public void onNext(PullResponseItem item) {
            if (item.isErrorIndicated()) {
                String reason = item.getErrorDetail() != null ? item.getErrorDetail().getMessage() : item.getError();
                done.completeExceptionally(new IllegalStateException(reason));
            }
        }

        @Override
        public void onComplete() {
            done.complete(null);
            super.onComplete();
        }

        /** Not passed on: docker-java would log a missing image as an error with a stack trace; the run reports it. */
        @Override
        public void onError(Throwable failure) {
            done.completeExceptionally(failure);
            try {
                close();
            } catch (IOException e) {
                log.debug("closing a failed pull stream failed", e);
            }
        }
    }

    /**
     * The process's exit status from the engine's wait. docker-java's own callback cannot be awaited twice (its timed
     * await closes the stream), and a timeout needs a second wait, after the kill.
     */
    private static final class ExitWaiter extends ResultCallback.Adapter<WaitResponse> {

        final CompletableFuture<Integer> statusCode = new CompletableFuture<>();

        @Override
        public void onNext(WaitResponse response) {
            statusCode.complete(response.getStatusCode());
        }

        @Override
        public void onComplete() {
            statusCode.completeExceptionally(new IllegalStateException("the wait ended without a status"));
            super.onComplete();
        }

        @Override
        public void onError(Throwable failure) {
            statusCode.completeExceptionally(failure);
            super.onError(failure);
        }
    }
}

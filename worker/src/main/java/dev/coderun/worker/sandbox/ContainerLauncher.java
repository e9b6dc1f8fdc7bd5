package dev.coderun.worker.sandbox;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse.ContainerState;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
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
import java.util.Arrays;
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
 * end is told as soon as it is known and before the removal, which takes the engine a hundred milliseconds or more:
 * a caller can report the run while the container goes. The container is removed whatever happens, and every byte the
 * process wrote has reached the observer, when {@link #run} returns. With {@link ContainerEvents}, the end is learnt
 * from the container's die event when it comes before the engine's wait answers, and a warm run told its exit code
 * that way is not inspected (save a SIGKILLed one).
 * Thread-safe; one call per run.
 *
 * <p>With a {@link WarmPool}, a run whose {@link PoolKey} has a warm container ready runs its process in it instead:
 * the container's waiting shell reads the run's env and command from stdin and {@code exec}s it, so the process is the
 * container's main process, with the cold path's attach, wait, timeout, inspection (exit code, OOM kill) and removal.
 * That container is removed after this one run. A run that finds none goes cold, as without a pool.
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
    /** What the engine reports for a time it does not know. */
    private static final Instant ZERO_TIME = Instant.parse("0001-01-01T00:00:00Z");

    private final DockerClient docker;
    private final URI dockerHost;
    private final String workerId;
    private final Duration pullTimeout;
    private final WarmPool pool;
    private final ContainerEvents events;

    /** @param dockerHost the engine {@code docker} talks to; stdin is fed over a connection of its own */
    public ContainerLauncher(DockerClient docker, URI dockerHost, String workerId, Duration pullTimeout) {
        this(docker, dockerHost, workerId, pullTimeout, null);
    }

    /** @param pool where warm containers are taken from, closed with the launcher; null for none (every run cold) */
    public ContainerLauncher(
            DockerClient docker, URI dockerHost, String workerId, Duration pullTimeout, WarmPool pool) {
        this(docker, dockerHost, workerId, pullTimeout, pool, null);
    }

    /**
     * @param events where a process's end is learnt before the engine's wait answers (its container cleaned up); null
     *     to learn it from the wait alone
     */
    public ContainerLauncher(DockerClient docker, URI dockerHost, String workerId, Duration pullTimeout,
            WarmPool pool, ContainerEvents events) {
        this.docker = docker;
        this.events = events;
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
            ContainerExit exit = attachStartAndWait(containerId, spec, observer, null);
            observer.ended(exit);
            return exit;
        } finally {
            remove(containerId);
        }
    }

    /**
     * Runs the spec in a warm container when the pool has one for its key: its waiting shell is given the run's
     * process ({@link WarmPool#script}), which then is the container's main process as in a cold container, and
     * everything from the attach on is the cold path's. Empty when the pool has none, when the spec cannot be given to
     * the shell, or when the one taken no longer runs (it is removed, and the run goes cold; the observer heard
     * nothing). A taken container is removed whatever happens, after the observer heard the end.
     */
    private Optional<ContainerExit> runWarm(ContainerSpec spec, ContainerObserver observer)
            throws InterruptedException {
        if (pool == null) {
            return Optional.empty();
        }
        Optional<byte[]> script = WarmPool.script(spec);
        if (script.isEmpty()) {
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
            if (!stillWaiting(containerId)) {
                log.warn("warm container {} no longer runs; starting cold", containerId);
                return Optional.empty();
            }
            // The run id is not on a warm container's labels (set at creation); this line ties the two together.
            log.info("running in warm container {}", containerId);
            observer.created();
            ContainerExit exit = attachStartAndWait(containerId, spec, observer, script.get());
            observer.ended(exit);
            return Optional.of(exit);
        } finally {
            remove(containerId);
        }
    }

    /**
     * Whether the container's waiting shell still runs: no die event came for it, or, while the event stream is not
     * open, the engine says it runs.
     */
    private boolean stillWaiting(String containerId) {
        if (events != null && events.live()) {
            return !events.died(containerId);
        }
        return waiting(containerId);
    }

    /** Whether the container's waiting shell still runs, as the engine says. */
    private boolean waiting(String containerId) {
        try {
            return Boolean.TRUE.equals(
                    uninterrupted(() -> docker.inspectContainerCmd(containerId).exec()).getState().getRunning());
        } catch (NotFoundException gone) {
            return false;
        }
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

    /**
     * What cold and warm containers alike are created with, the one place they get it from: the user, the working
     * directory and the {@link #hostConfig}; with a hosts file ({@link ContainerSpec#hostsFile()}) also the engine's
     * networking off (the OCI runtime still gives the container a network namespace of its own with loopback only;
     * the engine skips its network stack, and the hook that re-executes its binary, for it), the file written again
     * first should it have gone ({@link HostsFile#ensure}).
     */
    static CreateContainerCmd sandboxed(CreateContainerCmd create, PoolKey key) {
        if (key.hostsFile() != null) {
            HostsFile.ensure(key.hostsFile());
        }
        create.withUser(key.user())
                .withHostConfig(hostConfig(key.memoryBytes(), key.nanoCpus(), key.pidsLimit(), key.networkMode(),
                        key.hostsFile(), key.readOnlyRootfs(), key.tmpfs(), key.capDrop(), key.securityOpts()))
                .withNetworkDisabled(key.hostsFile() != null);
        if (key.workingDir() != null) {
            create.withWorkingDir(key.workingDir());
        }
        return create;
    }

    /**
     * The container's limits and lock-down ({@link #sandboxed}). No log driver: the worker reads the output from the
     * attach stream, so the engine's default of writing every line to a JSON file on the worker's disk (the run's
     * secrets included, should it print them) is work nobody reads. A {@code hostsFile} is bound as a mount, not a
     * bind, so that a path the engine does not see fails the creation instead of being created as an empty directory.
     */
    static HostConfig hostConfig(long memoryBytes, long nanoCpus, long pidsLimit, String networkMode,
            String hostsFile, boolean readOnlyRootfs, Map<String, String> tmpfs, List<String> capDrop,
            List<String> securityOpts) {
        HostConfig host = HostConfig.newHostConfig()
                .withMemory(memoryBytes)
                .withMemorySwap(memoryBytes)
                .withNanoCPUs(nanoCpus)
                .withPidsLimit(pidsLimit)
                .withNetworkMode(networkMode)
                .withReadonlyRootfs(readOnlyRootfs)
                .withTmpFs(tmpfs)
                .withCapDrop(capDrop.stream().map(Capability::valueOf).toArray(Capability[]::new))
                .withSecurityOpts(securityOpts)
                .withLogConfig(new LogConfig(LogConfig.LoggingType.NONE));
        if (hostsFile != null) {
            host.withMounts(List.of(new Mount()
                    .withType(MountType.BIND)
                    .withSource(hostsFile)
                    .withTarget("/etc/hosts")
                    .withReadOnly(true)));
        }
        return host;
    }

    private String create(ContainerSpec spec) {
        CreateContainerCmd create = sandboxed(docker.createContainerCmd(spec.image()), PoolKey.of(spec))
                .withEntrypoint(spec.entrypoint())
                .withCmd(spec.cmd())
                .withEnv(spec.env())
                .withLabels(spec.labels())
                .withTty(false)
                .withAttachStdout(true)
                .withAttachStderr(true)
                .withAttachStdin(spec.hasStdin())
                .withStdinOpen(spec.hasStdin())
                // The engine closes the process's stdin when the attached client's stdin ends.
                .withStdInOnce(spec.hasStdin());
        return create.exec().getId();
    }

    /**
     * @param warmScript for a warm container, what its waiting shell is given on stdin to start the run's process
     *     (instead of starting the container); null for a cold one
     */
    private ContainerExit attachStartAndWait(
            String containerId, ContainerSpec spec, ContainerObserver observer, byte[] warmScript)
            throws InterruptedException {
        // Both attached before the start, so not a byte of output is missed and stdin is there when the process reads.
        try (OutputForwarder output = docker.attachContainerCmd(containerId)
                        .withStdOut(true)
                        .withStdErr(true)
                        .withFollowStream(true)
                        .exec(new OutputForwarder(observer));
                StdinFeeder stdin = spec.hasStdin() || warmScript != null
                        ? uninterrupted(() -> StdinFeeder.attach(dockerHost, containerId))
                        : null) {
            try {
                return startAndWait(containerId, spec, observer, output, stdin, warmScript);
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
            StdinFeeder stdin, byte[] warmScript) throws InterruptedException {
        if (!output.awaitStarted(ATTACH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("attaching to container " + containerId + " timed out");
        }
        // Watched before the process can end, so its die event cannot be missed.
        CompletableFuture<ContainerEvents.Died> died =
                events == null ? new CompletableFuture<>() : events.watch(containerId);
        try {
            observer.beforeStart();
            if (warmScript == null) {
                Optional<ContainerExit> failedStart = start(containerId, observer);
                if (failedStart.isPresent()) {
                    return failedStart.get();
                }
            }
            long startedNanos = System.nanoTime();
            observer.started();
            if (stdin != null) {
                byte[] input = spec.hasStdin() ? spec.stdin().getBytes(StandardCharsets.UTF_8) : new byte[0];
                stdin.feed(warmScript == null ? input : concat(warmScript, input));
            }
            boolean timedOut = awaitExit(containerId, spec.timeout(), died);
            long wallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
            if (!output.awaitDrained(DRAIN_TIMEOUT)) {
                log.warn("output of container {} did not drain within {}; it may be incomplete", containerId,
                        DRAIN_TIMEOUT);
            }
            // A warm process's end as its events told it needs no inspection: the process is no longer the waiting
            // shell started long before, so the engine's times are not its own, and the events carried the exit code
            // and any OOM kill. A SIGKILLed one is inspected all the same, as the engine may mark it OOM-killed only
            // after its die event.
            ContainerEvents.Died told = died.getNow(null);
            if (warmScript != null && !timedOut && told != null && told.exitCode() != ContainerEvents.KILLED) {
                return new ContainerExit(false, told.exitCode(), told.oomKilled(), wallMs);
            }
            ContainerState state = uninterrupted(() -> docker.inspectContainerCmd(containerId).exec()).getState();
            // A warm container started long before its run: the engine's start time is the waiting shell's.
            return new ContainerExit(
                    timedOut,
                    state.getExitCodeLong() == null ? null : state.getExitCodeLong().intValue(),
                    Boolean.TRUE.equals(state.getOOMKilled()) || told != null && told.oomKilled(),
                    warmScript == null ? durationMs(state).orElse(wallMs) : wallMs);
        } finally {
            if (events != null) {
                events.forget(containerId);
            }
        }
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
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

    /**
     * Waits for the process to exit, told by {@code died} or by the engine's wait, whichever comes first; kills it when
     * the timeout passes first. Returns whether it timed out.
     */
    private boolean awaitExit(String containerId, Duration timeout, CompletableFuture<ContainerEvents.Died> died)
            throws InterruptedException {
        try (ExitWaiter exit = docker.waitContainerCmd(containerId).exec(new ExitWaiter())) {
            try {
                CompletableFuture.anyOf(exit.statusCode, died).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (!died.isDone()) {
                    // The wait answered first: its failure, if it failed, is thrown as before.
                    exit.statusCode.get();
                }
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

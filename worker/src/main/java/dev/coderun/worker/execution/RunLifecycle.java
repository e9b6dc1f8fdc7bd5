package dev.coderun.worker.execution;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.OutputChunk.OutputStream;
import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStatus;
import dev.coderun.events.SecretKeyRing;
import dev.coderun.observability.KafkaTracing;
import dev.coderun.worker.WorkerProperties;
import dev.coderun.worker.output.OutputCapture;
import dev.coderun.worker.sandbox.ContainerExit;
import dev.coderun.worker.sandbox.ContainerLauncher;
import dev.coderun.worker.sandbox.ContainerObserver;
import dev.coderun.worker.sandbox.ContainerSpec;
import dev.coderun.worker.sandbox.ImageUnavailableException;
import dev.coderun.worker.sandbox.SandboxPolicy;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Executes one taken dispatch, claimed by {@link #claim} before, to its end: runs the container, publishes
 * {@code RunStarted} once the process runs, streams its output, and publishes exactly one {@code RunFinished} after
 * every output chunk was acknowledged, except for an attempt stopped for a cause the worker does not report
 * ({@link StopCause#reported()}), which the scheduler settles. A process that ended by itself (or timed out) is reported
 * as soon as its end is known, while its container is being removed; {@link #execute} returns after both. Never
 * throws: whatever goes wrong ends the run ERRORED.
 *
 * <p>Tracing ({@link KafkaTracing}): the execution is a span under the dispatch's, with one child per container phase
 * in turn — {@code container create} (a cold container's image check and create, or a warm one's exec create),
 * {@code container start} (attach and start, until the process runs) and {@code container wait} (until its end is
 * known) — and the run's events and output chunks carry the execution span's context.
 */
@Component
public final class RunLifecycle implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(RunLifecycle.class);
    private static final String MDC_RUN_ID = "run_id";

    private final String workerId;
    private final WorkerProperties.Output outputSettings;
    private final SandboxPolicy policy;
    private final ContainerLauncher launcher;
    private final KafkaRunPublisher publisher;
    private final SecretKeyRing keyRing;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Timer dispatchLatency;
    private final Timer containerStart;
    private final KafkaTracing tracing;
    /** Cuts pending output of every running run into chunks on a short interval, so it can be watched live. */
    private final ScheduledExecutorService flusher =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("output-flush").daemon().factory());

    RunLifecycle(
            WorkerProperties properties,
            SandboxPolicy policy,
            ContainerLauncher launcher,
            KafkaRunPublisher publisher,
            SecretKeyRing keyRing,
            Clock clock,
            MeterRegistry meters) {
        this(properties, policy, launcher, publisher, keyRing, clock, meters, KafkaTracing.off());
    }

    @Autowired
    RunLifecycle(
            WorkerProperties properties,
            SandboxPolicy policy,
            ContainerLauncher launcher,
            KafkaRunPublisher publisher,
            SecretKeyRing keyRing,
            Clock clock,
            MeterRegistry meters,
            KafkaTracing tracing) {
        this.tracing = tracing;
        this.meters = meters;
        this.dispatchLatency = Timer.builder("coderun.worker.dispatch.latency")
                .description("from the scheduler dispatching a run attempt to this worker taking it")
                .publishPercentileHistogram()
                .register(meters);
        this.containerStart = Timer.builder("coderun.worker.container.start")
                .description("from taking a run attempt to its process running in its container (warm or cold)")
                .publishPercentileHistogram()
                .register(meters);
        this.keyRing = keyRing;
        this.workerId = properties.id();
        this.outputSettings = properties.output();
        this.policy = policy;
        this.launcher = launcher;
        this.publisher = publisher;
        this.clock = clock;
    }

    /**
     * Runs the claimed dispatch to its end on the calling thread, and returns once its end is reported (acknowledged
     * by Kafka, or its publishing failed) and its container removed. A stop of the claim ({@link ClaimedRun#stop}) kills
     * the container and ends the run as {@link RunOutcome#stopped} says, with the output written until the kill; a
     * process that ended by itself before the stop reached it reports its own end.
     */
    public void execute(DispatchRun dispatch, ClaimedRun claim) {
        execute(dispatch, claim, Span.NOOP);
    }

    /** {@link #execute(DispatchRun, ClaimedRun)} in a span under {@code dispatched} (the worker's dispatch span). */
    public void execute(DispatchRun dispatch, ClaimedRun claim, Span dispatched) {
        MDC.put(MDC_RUN_ID, dispatch.runId());
        Span execution = tracing.child(dispatched, "worker execute").tag("run_id", dispatch.runId())
                .tag("attempt", String.valueOf(dispatch.attempt()));
        try (Tracer.SpanInScope scope = tracing.inScope(execution)) {
            run(dispatch, claim, execution);
        } catch (Exception e) {
            // Only reporting can fail here (the producer refused a send). Once the slot is released the heartbeats stop
            // listing the run, and the scheduler's lease gives the attempt up after its timeout.
            log.error("the run could not be reported", e);
            execution.error(e);
        } finally {
            execution.end();
            MDC.remove(MDC_RUN_ID);
        }
    }

    /**
     * Claims the dispatched attempt for this worker: publishes its {@code RunStarting} (in the span {@code dispatched})
     * and answers the send. The caller runs the attempt only once the claim is durable, so that every attempt a worker
     * runs is one the scheduler leases to it: were the worker lost after taking the dispatch, the lease gives the
     * attempt up, where an unclaimed dispatch would hold its handle's slot with nobody to end it.
     */
    public Future<RecordMetadata> claim(DispatchRun dispatch, Span dispatched) {
        RunSpec spec = dispatch.spec();
        // The scheduler's clock against this one's: skew between hosts shifts it, and a negative span counts 0.
        dispatchLatency.record(Math.max(0, clock.millis() - dispatch.at().toEpochMilli()), TimeUnit.MILLISECONDS);
        return publisher.event(
                new RunStarting(spec.handle(), spec.runId(), dispatch.attempt(), workerId, clock.instant()),
                tracing.headers(dispatched));
    }

    private void run(DispatchRun dispatch, ClaimedRun claim, Span execution) {
        RunSpec spec = dispatch.spec();
        OutputPump pump = new OutputPump(
                new OutputCapture(spec.handle(), spec.runId(), dispatch.attempt(), spec.maxOutputBytes(),
                        (int) outputSettings.chunkSize().toBytes()),
                publisher,
                clock,
                outputSettings.flushInterval(),
                tracing.headers(execution));
        long flushMs = outputSettings.flushInterval().toMillis();
        ScheduledFuture<?> flushing =
                flusher.scheduleWithFixedDelay(pump::flush, flushMs, flushMs, TimeUnit.MILLISECONDS);
        RunObserver observer = new RunObserver(dispatch, claim, pump, flushing, execution);
        try {
            Optional<RunOutcome> ended;
            claim.enterContainerPhase();
            try {
                ended = Optional.of(runContainer(spec, observer));
            } catch (InterruptedException stopped) {
                ended = Optional.empty();
            }
            // A container whose end the launcher told was reported then, before its removal; this reports the others
            // (a stop, a platform error), their containers gone.
            observer.report(ended);
        } finally {
            flushing.cancel(false);
        }
    }

    /**
     * The container's end; throws InterruptedException when the run was stopped. The run's secrets are opened here,
     * just before its container is made, and live only in its {@link ContainerSpec}.
     */
    private RunOutcome runContainer(RunSpec spec, RunObserver observer) throws InterruptedException {
        Map<String, String> secrets;
        try {
            secrets = spec.sealedSecrets() == null
                    ? Map.of() : keyRing.open(spec.sealedSecrets(), RunSpec.secretsContext(spec.runId()));
        } catch (SecretKeyRing.SealedSecretsException e) {
            // The message names the key, never a value.
            log.warn("{}", e.getMessage());
            return RunOutcome.errored(RunOutcome.SECRETS_UNAVAILABLE, e.getMessage() + " (worker " + workerId + ")");
        }
        try {
            return RunOutcome.of(launcher.run(containerFor(spec, secrets), observer));
        } catch (SandboxRefusal e) {
            log.warn("{}", e.getMessage());
            return RunOutcome.errored(RunOutcome.INTERNAL, e.getMessage());
        } catch (ImageUnavailableException e) {
            log.warn("{}", e.getMessage());
            return RunOutcome.errored(RunOutcome.IMAGE_UNAVAILABLE, e.getMessage());
        } catch (RuntimeException e) {
            // Engine messages can echo the request, env included: they go to this log, not to the run's record, and
            // with every secret value blanked out.
            log.error("run failed on the worker", Redaction.of(secrets.values()).apply(e));
            return RunOutcome.errored(
                    RunOutcome.INTERNAL, "the worker could not run the container (worker " + workerId + ")");
        }
    }

    /**
     * A stop decides the outcome unless the process ended by itself first, which is then reported as it ended. A
     * platform error of a stopped run (its image unavailable, an engine failure while it was killed) yields to the
     * stop. Empty when the stop's cause is one the worker does not report.
     */
    private Optional<RunOutcome> outcome(
            Optional<RunOutcome> ended, Optional<ClaimedRun.Stop> stop, RunObserver observer) {
        if (stop.isEmpty()) {
            // Nothing but a stop interrupts a run's thread; should anything else, the worker is going down.
            return Optional.of(ended.orElseGet(() -> RunOutcome.stopped(StopCause.SHUTDOWN, null)));
        }
        if (ended.isPresent() && ended.get().status() != RunStatus.ERRORED) {
            return ended;
        }
        StopCause cause = stop.get().cause();
        Long durationMs = observer.msRunningAt(stop.get().atNanos());
        log.info("run stopped: {} (its process ran {} ms)", cause, durationMs == null ? "no" : durationMs);
        return cause.reported() ? Optional.of(RunOutcome.stopped(cause, durationMs)) : Optional.empty();
    }

    private ContainerSpec containerFor(RunSpec spec, Map<String, String> secrets) throws SandboxRefusal {
        try {
            return policy.containerFor(spec, secrets, workerId);
        } catch (IllegalArgumentException e) {
            throw new SandboxRefusal("the run's runtime cannot be sandboxed: " + e.getMessage());
        }
    }

    /**
     * Publishes what the container does and the attempt's end, and remembers when its process started. The end is
     * reported once, on the run's thread: when the launcher tells it ({@link #ended}, the container not yet removed, so
     * the report does not wait for the removal) or else after the launcher returned or threw.
     */
    private final class RunObserver implements ContainerObserver {

        private final DispatchRun dispatch;
        private final ClaimedRun claim;
        private final OutputPump pump;
        private final ScheduledFuture<?> flushing;
        private final Span execution;
        /** The container phase under way: its span, ended when the next begins or the end is reported. */
        private volatile Span phase;
        private volatile Long startedNanos;
        private final long takenNanos = System.nanoTime();
        /** Read and written on the run's thread only. */
        private boolean reported;

        RunObserver(
                DispatchRun dispatch, ClaimedRun claim, OutputPump pump, ScheduledFuture<?> flushing, Span execution) {
            this.execution = execution;
            this.phase = tracing.child(execution, "container create");
            this.dispatch = dispatch;
            this.claim = claim;
            this.pump = pump;
            this.flushing = flushing;
        }

        private void nextPhase(String name) {
            phase.end();
            phase = name == null ? Span.NOOP : tracing.child(execution, name);
        }

        @Override
        public void created() {
            nextPhase("container start");
        }

        /** The container is ready while the dispatch's acceptance commits; the process starts once it is recorded. */
        @Override
        public void beforeStart() throws InterruptedException {
            claim.awaitAccepted();
        }

        @Override
        public void started() {
            startedNanos = System.nanoTime();
            containerStart.record(startedNanos - takenNanos, TimeUnit.NANOSECONDS);
            nextPhase("container wait");
            RunSpec spec = dispatch.spec();
            publisher.event(new RunStarted(spec.handle(), spec.runId(), dispatch.attempt(), workerId, clock.instant()),
                    tracing.headers(execution));
        }

        @Override
        public void output(OutputStream stream, byte[] bytes) {
            pump.output(stream, bytes);
        }

        @Override
        public void ended(ContainerExit exit) {
            try {
                report(Optional.of(RunOutcome.of(exit)));
            } catch (RuntimeException e) {
                // Not thrown into the launcher, whose caller would take it for a failure of the container.
                log.error("the run could not be reported", e);
            }
            // The process is over and its end reported: the slot need not wait for the container's removal.
            claim.endReported();
        }

        /**
         * Leaves the container phase (a stop from here on changes nothing), then publishes the last chunks and
         * {@code RunFinished} as {@link #outcome} decides, or nothing for a stop the worker does not report. Only the
         * first call counts.
         *
         * @param ended the container's end; empty when the run was stopped before its process ended by itself
         */
        void report(Optional<RunOutcome> ended) {
            if (reported) {
                return;
            }
            reported = true;
            nextPhase(null);
            flushing.cancel(false);
            Optional<ClaimedRun.Stop> stop = claim.leaveContainerPhase();
            Optional<RunOutcome> outcome = outcome(ended, stop, this);
            if (outcome.isPresent()) {
                finish(dispatch, outcome.get(), pump, execution);
            } else {
                pump.finish();
                log.warn("attempt {} stopped ({}); the scheduler settles it", dispatch.attempt(),
                        stop.orElseThrow().cause());
            }
        }

        /** How long the process had run at {@code nanos}; null when it never started. */
        Long msRunningAt(long nanos) {
            Long started = startedNanos;
            return started == null ? null : TimeUnit.NANOSECONDS.toMillis(Math.max(0, nanos - started));
        }
    }

    private void finish(DispatchRun dispatch, RunOutcome outcome, OutputPump pump, Span execution) {
        RunSpec spec = dispatch.spec();
        OutputSummary output = pump.finish();
        RunFinished finished = new RunFinished(spec.handle(), spec.runId(), outcome.status(), dispatch.attempt(),
                workerId, outcome.exitCode(), outcome.durationMs(), outcome.terminationReason(), outcome.error(),
                output, clock.instant());
        try {
            // The slot is released after this returns: a heartbeat never drops a run whose end is not durable.
            publisher.event(finished, tracing.headers(execution)).get();
            measure(finished);
            log.info("run finished: {} exit_code={} duration_ms={} reason={}", outcome.status(), outcome.exitCode(),
                    outcome.durationMs(), outcome.terminationReason());
        } catch (ExecutionException e) {
            // The slot is released anyway: heartbeats stop listing the run, and the scheduler's lease gives it up.
            log.error("publishing RunFinished {} failed; the run stays unsettled", outcome.status(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * {@code coderun.worker.runs} by terminal status, {@code coderun.runs.duration} (the process's wall time, for runs
     * whose process ran) by terminal status, and {@code coderun.runs.output} bytes by stream. Statuses are the few
     * terminal ones, so the tags stay bounded.
     */
    private void measure(RunFinished finished) {
        String status = finished.status().name();
        meters.counter("coderun.worker.runs", "status", status).increment();
        if (finished.durationMs() != null) {
            Timer.builder("coderun.runs.duration")
                    .description("wall time of a run's process, by terminal status")
                    .tag("status", status)
                    .publishPercentileHistogram()
                    .register(meters)
                    .record(finished.durationMs(), TimeUnit.MILLISECONDS);
        }
        outputBytes("stdout").record(finished.output().stdoutBytes());
        outputBytes("stderr").record(finished.output().stderrBytes());
    }

    private DistributionSummary outputBytes(String stream) {
        return DistributionSummary.builder("coderun.runs.output")
                .description("bytes a run's process wrote, retained or not, by stream")
                .baseUnit("bytes")
                .tag("stream", stream)
                .register(meters);
    }

    /** The sandbox policy refused the run's runtime; the reason names no secret. */
    private static final class SandboxRefusal extends Exception {
        SandboxRefusal(String message) {
            super(message);
        }
    }

    @Override
    public void destroy() {
        flusher.shutdownNow();
    }
}

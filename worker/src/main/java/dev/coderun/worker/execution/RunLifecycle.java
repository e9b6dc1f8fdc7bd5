package dev.coderun.worker.execution;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.OutputChunk.OutputStream;
import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.worker.WorkerProperties;
import dev.coderun.worker.output.OutputCapture;
import dev.coderun.worker.sandbox.ContainerLauncher;
import dev.coderun.worker.sandbox.ContainerObserver;
import dev.coderun.worker.sandbox.ContainerSpec;
import dev.coderun.worker.sandbox.ImageUnavailableException;
import dev.coderun.worker.sandbox.SandboxPolicy;
import java.time.Clock;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Executes one taken dispatch from claim to end: publishes {@code RunStarting}, runs the container, publishes
 * {@code RunStarted} once the process runs, streams its output, and publishes exactly one {@code RunFinished} after
 * every output chunk was acknowledged. Never throws: whatever goes wrong ends the run ERRORED.
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
    private final Clock clock;
    /** Cuts pending output of every running run into chunks on a short interval, so it can be watched live. */
    private final ScheduledExecutorService flusher =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("output-flush").daemon().factory());

    RunLifecycle(
            WorkerProperties properties,
            SandboxPolicy policy,
            ContainerLauncher launcher,
            KafkaRunPublisher publisher,
            Clock clock) {
        this.workerId = properties.id();
        this.outputSettings = properties.output();
        this.policy = policy;
        this.launcher = launcher;
        this.publisher = publisher;
        this.clock = clock;
    }

    /**
     * Runs the dispatch to its end on the calling thread. An interrupt (the worker shutting down) kills the container
     * and ends the run ERRORED ({@code worker_shutdown}); the thread's interrupt status is restored before returning.
     */
    public void execute(DispatchRun dispatch) {
        MDC.put(MDC_RUN_ID, dispatch.runId());
        try {
            run(dispatch);
        } catch (RuntimeException e) {
            // Only reporting can fail here (the producer refused a send); the scheduler's recovery settles the run.
            log.error("the run could not be reported", e);
        } finally {
            MDC.remove(MDC_RUN_ID);
        }
    }

    private void run(DispatchRun dispatch) {
        RunSpec spec = dispatch.spec();
        publisher.event(new RunStarting(spec.handle(), spec.runId(), dispatch.attempt(), workerId, clock.instant()));
        OutputPump pump = new OutputPump(
                new OutputCapture(spec.handle(), spec.runId(), dispatch.attempt(), spec.maxOutputBytes(),
                        (int) outputSettings.chunkSize().toBytes()),
                publisher,
                clock);
        long flushMs = outputSettings.flushInterval().toMillis();
        ScheduledFuture<?> flushing =
                flusher.scheduleWithFixedDelay(pump::flush, flushMs, flushMs, TimeUnit.MILLISECONDS);
        boolean interrupted = false;
        RunOutcome outcome;
        try {
            outcome = RunOutcome.of(launcher.run(containerFor(spec), observer(dispatch, pump)));
        } catch (SandboxRefusal e) {
            log.warn("{}", e.getMessage());
            outcome = RunOutcome.errored(RunOutcome.INTERNAL, e.getMessage());
        } catch (ImageUnavailableException e) {
            log.warn("{}", e.getMessage());
            outcome = RunOutcome.errored(RunOutcome.IMAGE_UNAVAILABLE, e.getMessage());
        } catch (InterruptedException e) {
            interrupted = true;
            log.warn("worker shutting down: run killed");
            outcome = RunOutcome.errored(RunOutcome.WORKER_SHUTDOWN, "the worker shut down while the run ran");
        } catch (RuntimeException e) {
            // Engine messages can echo the request, env included: they go to this log, not to the run's record.
            log.error("run failed on the worker", e);
            outcome = RunOutcome.errored(
                    RunOutcome.INTERNAL, "the worker could not run the container (worker " + workerId + ")");
        } finally {
            flushing.cancel(false);
        }
        finish(dispatch, outcome, pump);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private ContainerSpec containerFor(RunSpec spec) throws SandboxRefusal {
        try {
            return policy.containerFor(spec, workerId);
        } catch (IllegalArgumentException e) {
            throw new SandboxRefusal("the run's runtime cannot be sandboxed: " + e.getMessage());
        }
    }

    private ContainerObserver observer(DispatchRun dispatch, OutputPump pump) {
        RunSpec spec = dispatch.spec();
        return new ContainerObserver() {
            @Override
            public void started() {
                publisher.event(new RunStarted(spec.handle(), spec.runId(), dispatch.attempt(), workerId,
                        clock.instant()));
            }

            @Override
            public void output(OutputStream stream, byte[] bytes) {
                pump.output(stream, bytes);
            }
        };
    }

    private void finish(DispatchRun dispatch, RunOutcome outcome, OutputPump pump) {
        RunSpec spec = dispatch.spec();
        OutputSummary output = pump.finish();
        RunFinished finished = new RunFinished(spec.handle(), spec.runId(), outcome.status(), dispatch.attempt(),
                workerId, outcome.exitCode(), outcome.durationMs(), outcome.terminationReason(), outcome.error(),
                output, clock.instant());
        try {
            // The slot is released after this returns: a heartbeat never drops a run whose end is not durable.
            publisher.event(finished).get();
            log.info("run finished: {} exit_code={} duration_ms={} reason={}", outcome.status(), outcome.exitCode(),
                    outcome.durationMs(), outcome.terminationReason());
        } catch (ExecutionException e) {
            log.error("publishing RunFinished {} failed; the scheduler's lost-run recovery has to settle the run",
                    outcome.status(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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

package dev.coderun.scheduler.topology;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.RunAccepted;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunStatus;
import dev.coderun.events.StopRun;
import dev.coderun.events.WorkerDirective;
import dev.coderun.scheduler.ObservabilityProperties;
import dev.coderun.scheduler.admission.AdmissionDecision;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The scheduler's meters, fed from the decisions it applies. Counters count what was applied; under exactly-once
 * processing a transaction that aborts and is processed again counts twice, so they can run ahead by the decisions
 * of an aborted transaction. Queued and active runs are gauges over the stores, read on each lease check (every
 * {@code lease-check-interval}) per stream task and summed over the tasks this instance runs.
 */
@Component
public class SchedulerMetrics {

    private final MeterRegistry registry;
    private final int busiestHandles;
    private final Map<String, HandleLoad> loadByTask = new ConcurrentHashMap<>();
    private volatile HandleLoad load = HandleLoad.NONE;
    private final Counter accepted;
    private final Counter reattempted;
    private final Counter leasesExpired;
    private final Timer dispatchLatency;
    private final MultiGauge activeByHandle;
    private final MultiGauge queuedByHandle;

    @Autowired
    public SchedulerMetrics(MeterRegistry registry, ObservabilityProperties properties) {
        this(registry, properties.busiestHandles());
    }

    SchedulerMetrics(MeterRegistry registry, int busiestHandles) {
        this.registry = registry;
        this.busiestHandles = busiestHandles;
        this.accepted = admissions("accepted", "none");
        this.reattempted = Counter.builder("coderun.runs.reattempted")
                .description("runs dispatched again after the worker holding them was lost")
                .register(registry);
        this.leasesExpired = Counter.builder("coderun.scheduler.leases.expired")
                .description("run attempts given up because their worker restarted or sent no heartbeat in time")
                .register(registry);
        this.dispatchLatency = Timer.builder("coderun.scheduler.dispatch.latency")
                .description("from a run's creation at the gateway to the scheduler dispatching its first attempt")
                .publishPercentileHistogram()
                .register(registry);
        Gauge.builder("coderun.runs.active", this, m -> m.load.active())
                .description("runs dispatched and not finished, over the handles of this scheduler's tasks")
                .register(registry);
        Gauge.builder("coderun.runs.queued", this, m -> m.load.queued())
                .description("runs waiting for capacity, over the handles of this scheduler's tasks")
                .register(registry);
        this.activeByHandle = MultiGauge.builder("coderun.handle.runs.active")
                .description("active runs of the busiest handles (coderun.observability.busiest-handles)")
                .register(registry);
        this.queuedByHandle = MultiGauge.builder("coderun.handle.runs.queued")
                .description("queued runs of the busiest handles (coderun.observability.busiest-handles)")
                .register(registry);
    }

    /** Meters that record nowhere a scrape can see, for a topology built without Spring (tests). */
    static SchedulerMetrics detached() {
        return new SchedulerMetrics(new SimpleMeterRegistry(), 0);
    }

    MeterRegistry registry() {
        return registry;
    }

    int busiestHandles() {
        return busiestHandles;
    }

    private Counter admissions(String outcome, String reason) {
        return Counter.builder("coderun.scheduler.admissions")
                .description("submitted runs the scheduler accepted or rejected, by reason")
                .tags("outcome", outcome, "reason", reason)
                .register(registry);
    }

    /** Counts what an applied decision did. */
    void applied(AdmissionDecision decision, Instant now) {
        for (RunEvent event : decision.events()) {
            switch (event) {
                case RunAccepted ignored -> accepted.increment();
                case RunQueued queued when queued.attempt() > 1 -> reattempted.increment();
                case RunFinished finished when finished.status() == RunStatus.REJECTED ->
                        // Reasons are the scheduler's own error codes (queue_full): a small fixed set.
                        admissions("rejected", finished.error() == null ? "unknown" : finished.error().code())
                                .increment();
                default -> {}
            }
        }
        for (WorkerDirective directive : decision.directives()) {
            switch (directive) {
                // The gateway's clock against this one's: skew between hosts shifts it, and a negative span counts 0.
                case DispatchRun dispatch when dispatch.attempt() == 1 && dispatch.spec().createdAt() != null -> {
                    Duration waited = Duration.between(dispatch.spec().createdAt(), now);
                    dispatchLatency.record(waited.isNegative() ? Duration.ZERO : waited);
                }
                case StopRun stop when StopRun.LEASE_EXPIRED.equals(stop.reason()) -> leasesExpired.increment();
                default -> {}
            }
        }
    }

    /** The load of one stream task's handles, as its latest lease check counted it. */
    void taskLoad(String taskId, HandleLoad taskLoad) {
        loadByTask.put(taskId, taskLoad);
        refresh();
    }

    /** The task moved away or closed: its handles are counted by whichever instance runs it now. */
    void taskClosed(String taskId) {
        loadByTask.remove(taskId);
        refresh();
    }

    private synchronized void refresh() {
        load = HandleLoad.merge(loadByTask.values(), busiestHandles);
        List<HandleLoad.Busy> busiest = load.busiest();
        activeByHandle.register(busiest.stream()
                .map(b -> MultiGauge.Row.of(Tags.of("handle", b.handle()), b.active()))
                .toList(), true);
        queuedByHandle.register(busiest.stream()
                .map(b -> MultiGauge.Row.of(Tags.of("handle", b.handle()), b.queued()))
                .toList(), true);
    }
}

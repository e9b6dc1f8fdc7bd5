package dev.coderun.worker.heartbeat;

import dev.coderun.events.MessageSerde;
import dev.coderun.events.Topics;
import dev.coderun.events.WorkerHeartbeat;
import dev.coderun.worker.WorkerProperties;
import dev.coderun.worker.execution.ActiveRuns;
import dev.coderun.worker.execution.ClaimedRun;
import dev.coderun.worker.fleet.Drain;
import dev.coderun.worker.fleet.DrainControl;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Publishes this worker's {@link WorkerHeartbeat} (key = worker id) every {@code heartbeat-interval}: its slots, the
 * run attempts holding them, when this worker started, its host and its drain state ({@link DrainControl}). The
 * scheduler leases each run attempt to the worker that published its {@code RunStarting} and gives the attempt up as
 * lost when that worker's heartbeats stop for its lease timeout, or carry a {@code startedAt} later than the
 * {@code RunStarting} (the worker restarted). It starts before the worker takes runs, so the first heartbeat goes out
 * first, and stops after the last run ended, with a final heartbeat.
 *
 * <p>It also fences the worker ({@link Fence}): while no heartbeat was acknowledged by Kafka for {@code fence-after},
 * every run this worker holds is killed, unreported, and listed as handed back ({@link DrainControl#fence}): the
 * scheduler gives those attempts up at the first heartbeat that gets through, or at their lease timeout, and the
 * worker takes no run until it has.
 */
@Component
class HeartbeatPublisher implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(HeartbeatPublisher.class);

    /** Bounds how late the fence acts after {@code fence-after}; a check is a comparison. */
    private static final Duration FENCE_CHECK_INTERVAL = Duration.ofMillis(250);

    private final WorkerProperties properties;
    private final ActiveRuns activeRuns;
    private final DrainControl drainControl;
    private final String host;
    private final Producer<String, byte[]> producer;
    private final Clock clock;
    /** When this worker started: captured once, before it can claim a run. */
    private final Instant startedAt;
    private final Fence fence;
    private ScheduledExecutorService timer;

    HeartbeatPublisher(
            WorkerProperties properties,
            ActiveRuns activeRuns,
            DrainControl drainControl,
            Producer<String, byte[]> producer,
            Clock clock) {
        this.properties = properties;
        this.activeRuns = activeRuns;
        this.drainControl = drainControl;
        this.host = hostName();
        this.producer = producer;
        this.clock = clock;
        this.startedAt = clock.instant();
        this.fence = new Fence(properties.fenceAfter(), System.nanoTime());
    }

    @Override
    public void start() {
        // Two threads: a send that blocks (no metadata while Kafka is unreachable) must not hold up the fence check.
        timer = Executors.newScheduledThreadPool(2, Thread.ofPlatform().name("heartbeat-", 0).daemon().factory());
        timer.scheduleAtFixedRate(this::beat, 0, properties.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS);
        long checkMs = FENCE_CHECK_INTERVAL.toMillis();
        timer.scheduleWithFixedDelay(this::checkFence, checkMs, checkMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        timer.shutdownNow();
        timer = null;
        beat();
    }

    @Override
    public boolean isRunning() {
        return timer != null;
    }

    /** Below the dispatch consumer's default phase: started before it, stopped after it drained the runs. */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 1;
    }

    private void beat() {
        try {
            // The drain state first: a worker that reads drained holds no run, so the runs are read after it.
            Drain drain = drainControl.state();
            List<ClaimedRun> claimed = activeRuns.claimed();
            WorkerHeartbeat heartbeat = new WorkerHeartbeat(
                    properties.id(),
                    activeRuns.slots(),
                    claimed.stream().map(ClaimedRun::runId).toList(),
                    startedAt,
                    clock.instant(),
                    host,
                    drain.mode().wire(),
                    claimed.stream().map(run -> new WorkerHeartbeat.RunAttempt(run.runId(), run.attempt())).toList(),
                    drain.deadline(),
                    drainControl.handedBack());
            producer.send(
                    new ProducerRecord<>(Topics.HEARTBEATS, heartbeat.workerId(), MessageSerde.toBytes(heartbeat)),
                    (metadata, failure) -> {
                        if (failure == null) {
                            fence.acknowledged(System.nanoTime());
                        } else {
                            log.warn("publishing a heartbeat failed: {}", failure.toString());
                        }
                    });
        } catch (RuntimeException e) {
            // A failed beat must not cancel the schedule: the next one may get through.
            log.warn("publishing a heartbeat failed", e);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return System.getenv().getOrDefault("HOSTNAME", null);
        }
    }

    /** Runs on the timer only: the fence is raised and lowered from here alone. */
    private void checkFence() {
        try {
            long now = System.nanoTime();
            if (!fence.isUp(now)) {
                if (drainControl.fenced()) {
                    drainControl.unfence();
                    log.warn("heartbeats are acknowledged again; the worker is no longer fenced, and takes runs once "
                            + "the scheduler gave up the attempts it killed");
                }
                return;
            }
            boolean already = drainControl.fenced();
            List<ClaimedRun> stopped = drainControl.fence();
            if (!already || !stopped.isEmpty()) {
                log.error("FENCED: no heartbeat acknowledged by Kafka for {} ms (fence-after {} ms); the scheduler gives "
                        + "this worker's run attempts up as lost, so killing every run it holds: {}",
                        fence.silence(now).toMillis(), properties.fenceAfter().toMillis(), stopped);
            }
        } catch (RuntimeException e) {
            // A failed check must not cancel the schedule.
            log.error("checking the fence failed", e);
        }
    }
}

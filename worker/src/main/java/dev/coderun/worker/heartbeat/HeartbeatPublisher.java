package dev.coderun.worker.heartbeat;

import dev.coderun.events.MessageSerde;
import dev.coderun.events.Topics;
import dev.coderun.events.WorkerHeartbeat;
import dev.coderun.worker.WorkerProperties;
import dev.coderun.worker.execution.ActiveRuns;
import java.time.Clock;
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
 * Publishes this worker's {@link WorkerHeartbeat} (key = worker id) every {@code heartbeat-interval}: its slots and
 * the runs holding them, from which the scheduler tells a live worker from a lost one. It starts before the worker
 * takes runs and stops after the last run ended, with a final heartbeat.
 */
@Component
class HeartbeatPublisher implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(HeartbeatPublisher.class);

    private final WorkerProperties properties;
    private final ActiveRuns activeRuns;
    private final Producer<String, byte[]> producer;
    private final Clock clock;
    private ScheduledExecutorService timer;

    HeartbeatPublisher(
            WorkerProperties properties, ActiveRuns activeRuns, Producer<String, byte[]> producer, Clock clock) {
        this.properties = properties;
        this.activeRuns = activeRuns;
        this.producer = producer;
        this.clock = clock;
    }

    @Override
    public void start() {
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("heartbeat").daemon().factory());
        long intervalMs = properties.heartbeatInterval().toMillis();
        timer.scheduleAtFixedRate(this::beat, 0, intervalMs, TimeUnit.MILLISECONDS);
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
            WorkerHeartbeat heartbeat = new WorkerHeartbeat(
                    properties.id(), activeRuns.slots(), activeRuns.runIds(), clock.instant());
            producer.send(
                    new ProducerRecord<>(Topics.HEARTBEATS, heartbeat.workerId(), MessageSerde.toBytes(heartbeat)),
                    (metadata, failure) -> {
                        if (failure != null) {
                            log.warn("publishing a heartbeat failed: {}", failure.toString());
                        }
                    });
        } catch (RuntimeException e) {
            // A failed beat must not cancel the schedule: the next one may get through.
            log.warn("publishing a heartbeat failed", e);
        }
    }
}

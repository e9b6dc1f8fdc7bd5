package dev.coderun.worker.control;

import dev.coderun.events.FleetDirective;
import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.StopRun;
import dev.coderun.events.Topics;
import dev.coderun.events.WorkerHeartbeat.RunAttempt;
import dev.coderun.observability.KafkaTracing;
import dev.coderun.worker.KafkaLimits;
import dev.coderun.worker.WorkerProperties;
import dev.coderun.worker.execution.ActiveRuns;
import dev.coderun.worker.execution.ClaimedRun;
import dev.coderun.worker.execution.StopCause;
import dev.coderun.worker.fleet.DrainControl;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Reads every {@link StopRun} on {@link Topics#CONTROL}: remembers the stopped attempt ({@link StoppedAttempts}, so a
 * dispatch of it delivered later is never run) and stops it if it runs here. Hands every {@link FleetDirective} (drain,
 * undrain) to {@link DrainControl}, which applies those naming this worker. A plain consumer without a group: every
 * worker reads every directive. At start it reads from {@code control.look-back} ago, so that a directive published
 * shortly before this worker started still applies, and it starts before the worker takes runs and waits (bounded)
 * until it has read what was there; it stops after the last run ended.
 *
 * <p>Tracing ({@link KafkaTracing}): the worker holding the stopped attempt handles the stop in a span continuing the
 * trace the {@code StopRun} carries ({@code worker stop}; for a cancel, the trace of the cancel request). The others
 * only remember the stop, in no span, so a stop read by every worker of a fleet adds one span, not one per worker.
 */
@Component
class ControlConsumer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ControlConsumer.class);
    private static final String MDC_RUN_ID = "run_id";

    /** A stop takes effect as its record arrives; this only bounds how long a poll holds the thread. */
    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration RETRY_BACKOFF = Duration.ofSeconds(1);
    /** How long the worker's start waits for the directives published before it; Kafka answers in milliseconds. */
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(15);

    private final WorkerProperties properties;
    private final StoppedAttempts stoppedAttempts;
    private final ActiveRuns activeRuns;
    private final DrainControl drainControl;
    private final Clock clock;
    private final KafkaTracing tracing;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile boolean running;
    private volatile Consumer<String, byte[]> consumer;
    private Thread pollThread;

    ControlConsumer(WorkerProperties properties, StoppedAttempts stoppedAttempts, ActiveRuns activeRuns,
            DrainControl drainControl, Clock clock, KafkaTracing tracing) {
        this.properties = properties;
        this.tracing = tracing;
        this.stoppedAttempts = stoppedAttempts;
        this.activeRuns = activeRuns;
        this.drainControl = drainControl;
        this.clock = clock;
    }

    @Override
    public void start() {
        running = true;
        pollThread = Thread.ofPlatform().name("control-poll").start(this::pollLoop);
        try {
            if (!caughtUp.await(CATCH_UP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("the control topic was not read up to its end within {}; a dispatch stopped before this start "
                        + "may run until its stop is read", CATCH_UP_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void stop() {
        running = false;
        Consumer<String, byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        try {
            pollThread.join(POLL_TIMEOUT.plus(CATCH_UP_TIMEOUT));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Below the dispatch consumer's default phase: started before it takes runs, stopped after its runs ended. */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 1;
    }

    private void pollLoop() {
        while (running) {
            try (Consumer<String, byte[]> current = newConsumer()) {
                consumer = current;
                Map<TopicPartition, Long> ends = assignFromLookBack(current);
                while (running) {
                    if (caughtUp.getCount() > 0 && ends.entrySet().stream()
                            .allMatch(end -> current.position(end.getKey()) >= end.getValue())) {
                        caughtUp.countDown();
                    }
                    current.poll(POLL_TIMEOUT).forEach(this::apply);
                }
            } catch (WakeupException stopping) {
                return;
            } catch (KafkaException | IllegalStateException e) {
                // Reading again from the look-back applies the same directives again, which changes nothing.
                log.error("reading the control topic failed; retrying in {}", RETRY_BACKOFF, e);
                try {
                    Thread.sleep(RETRY_BACKOFF);
                } catch (InterruptedException interrupted) {
                    return;
                }
            } finally {
                consumer = null;
            }
        }
    }

    /** Assigns every control partition from the look-back on; returns their end offsets, the catch-up target. */
    private Map<TopicPartition, Long> assignFromLookBack(Consumer<String, byte[]> current) {
        List<TopicPartition> partitions = current.partitionsFor(Topics.CONTROL).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition()))
                .toList();
        if (partitions.isEmpty()) {
            throw new IllegalStateException("topic " + Topics.CONTROL + " has no partitions");
        }
        current.assign(partitions);
        long from = clock.instant().minus(properties.control().lookBack()).toEpochMilli();
        Map<TopicPartition, Long> times = new HashMap<>();
        partitions.forEach(partition -> times.put(partition, from));
        Map<TopicPartition, OffsetAndTimestamp> offsets = current.offsetsForTimes(times);
        for (TopicPartition partition : partitions) {
            OffsetAndTimestamp offset = offsets.get(partition);
            if (offset != null) {
                current.seek(partition, offset.offset());
            } else {
                // Nothing published since the look-back: only what comes from now on.
                current.seekToEnd(List.of(partition));
            }
        }
        return current.endOffsets(partitions);
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        StopRun stop;
        try {
            Message message = record.value() == null ? null : MessageSerde.fromBytes(record.value());
            if (message instanceof FleetDirective directive) {
                drainControl.apply(directive);
                return;
            }
            if (!(message instanceof StopRun directive)) {
                log.warn("skipping control record {}-{}@{}: not a StopRun or fleet directive", record.topic(),
                        record.partition(), record.offset());
                return;
            }
            stop = directive;
        } catch (RuntimeException e) {
            log.warn("skipping unreadable control record {}-{}@{}: {}", record.topic(), record.partition(),
                    record.offset(), e.getClass().getSimpleName());
            return;
        }
        MDC.put(MDC_RUN_ID, stop.runId());
        Span span = activeRuns.holds(stop.runId(), stop.attempt())
                ? tracing.consumer(record.headers(), "worker stop", stop.runId()) : Span.NOOP;
        try (Tracer.SpanInScope scope = tracing.inScope(span)) {
            if (!StopRun.CANCELLED.equals(stop.reason()) && !StopRun.LEASE_EXPIRED.equals(stop.reason())) {
                log.warn("stop reason '{}' is unknown to this worker; stopping the attempt as lost", stop.reason());
            }
            StopCause cause = stoppedAttempts.record(stop, clock.instant());
            drainControl.settled(new RunAttempt(stop.runId(), stop.attempt()));
            for (ClaimedRun run : activeRuns.stop(stop.runId(), stop.attempt(), cause)) {
                log.info("stopping run {} attempt {}: {}", run.runId(), run.attempt(), cause);
            }
        } finally {
            span.end();
            MDC.remove(MDC_RUN_ID);
        }
    }

    private Consumer<String, byte[]> newConsumer() {
        Map<String, Object> config = new HashMap<>(KafkaLimits.consumer());
        config.putAll(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, properties.bootstrapServers(),
                ConsumerConfig.CLIENT_ID_CONFIG, "coderun-worker-control-" + properties.id(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
                // The scheduler publishes directives in exactly-once transactions; an aborted one never happened.
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
        return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }
}

package dev.coderun.worker.dispatch;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.Topics;
import dev.coderun.observability.KafkaTracing;
import dev.coderun.worker.KafkaLimits;
import dev.coderun.worker.WorkerProperties;
import dev.coderun.worker.control.StoppedAttempts;
import dev.coderun.worker.execution.ActiveRuns;
import dev.coderun.worker.execution.ClaimedRun;
import dev.coderun.worker.execution.RunLifecycle;
import dev.coderun.worker.execution.StopCause;
import dev.coderun.worker.fleet.DrainControl;
import io.micrometer.tracing.Span;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Takes dispatched runs from {@link Topics#DISPATCH} as a member of the workers' share group and hands each to a
 * virtual thread that executes it. One platform thread polls; it polls only while a slot is free, and each poll
 * acquires at most two offsets ({@code share.acquire.mode=record_limit} with {@code max.poll.records=2} makes that a
 * hard cap). Two, not one: the scheduler writes dispatches in transactions, so the topic holds a commit marker after
 * each batch of dispatches, and an acquisition of one offset that lands on a marker delivers nothing and waits out the
 * poll timeout (measured with kafka-clients 4.2.2: produce → poll p50 2 s with one offset, 7 ms with two). A second
 * dispatch in the same poll without a slot for it is released at once for the next free slot here or elsewhere (the
 * broker coderun starts allows ten deliveries of a record, {@code group.share.delivery.count.limit}, not five).
 * Every record is acknowledged explicitly: ACCEPT for a run this worker executes (once its {@code RunStarting} claim is
 * in Kafka, and committed before the run's process starts, so a run whose acknowledgement the broker refused is not
 * run here; its container is readied meanwhile)
 * and for one whose attempt the scheduler already stopped (not run), REJECT for one it cannot read, RELEASE for one it
 * has no slot for or could not claim.
 *
 * <p>While every slot stays busy longer than {@code leave-group-when-full-after}, the worker leaves the share group:
 * the share group's assignor may give a partition to this member alone, and a member that does not poll would leave
 * that partition's dispatches waiting behind its longest run. It rejoins when a slot frees.
 *
 * <p>While the worker is drained or draining ({@link DrainControl}) it polls nothing and leaves the share group at
 * once: every record a poll acquired was acknowledged before the next poll, so it holds none, and the group's other
 * members take the dispatch partitions. It rejoins when undrained.
 */
@Component
class DispatchConsumer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DispatchConsumer.class);

    /** The share group config that makes a new group start from the earliest dispatch, not only later ones. */
    static final String SHARE_AUTO_OFFSET_RESET = "share.auto.offset.reset";
    /**
     * The scheduler dispatches inside exactly-once transactions; read uncommitted, a worker could run a dispatch whose
     * transaction later aborts and then run the re-dispatch too.
     */
    static final String SHARE_ISOLATION_LEVEL = "share.isolation.level";
    /** Also the hard cap of offsets acquired per poll (see the class comment for why it is two). */
    static final int RECORDS_PER_POLL = 2;

    private static final Duration RETRY_BACKOFF = Duration.ofSeconds(1);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    /** After the shutdown grace, the runs still running are killed; this bounds their reporting. */
    private static final Duration ABORT_TIMEOUT = Duration.ofSeconds(30);

    private final WorkerProperties properties;
    private final ActiveRuns activeRuns;
    private final StoppedAttempts stoppedAttempts;
    private final RunLifecycle lifecycle;
    private final DrainControl drainControl;
    private final KafkaTracing tracing;
    private final Clock clock;
    private final ExecutorService runs =
            Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("run-", 0).factory());
    private volatile boolean running;
    private Thread pollThread;

    DispatchConsumer(
            WorkerProperties properties,
            ActiveRuns activeRuns,
            StoppedAttempts stoppedAttempts,
            RunLifecycle lifecycle,
            DrainControl drainControl,
            KafkaTracing tracing,
            Clock clock) {
        this.tracing = tracing;
        this.properties = properties;
        this.activeRuns = activeRuns;
        this.stoppedAttempts = stoppedAttempts;
        this.lifecycle = lifecycle;
        this.drainControl = drainControl;
        this.clock = clock;
    }

    @Override
    public void start() {
        running = true;
        pollThread = Thread.ofPlatform().name("dispatch-poll").start(this::pollLoop);
        log.info("worker {} takes dispatches with {} slots", properties.id(), activeRuns.slots());
    }

    /**
     * Stops taking runs, lets running runs finish within the shutdown grace, then hands back what still runs
     * ({@link DrainControl#handBackAll}): killed and unreported, listed as handed back in the final heartbeat, so the
     * scheduler runs each again elsewhere as its next attempt at once, as for a drain whose deadline passed.
     */
    @Override
    public void stop() {
        running = false;
        try {
            pollThread.join(properties.dispatch().pollTimeout().plus(REQUEST_TIMEOUT).plus(RETRY_BACKOFF));
            runs.shutdown();
            if (!runs.awaitTermination(properties.dispatch().shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                drainControl.handBackAll("worker shutting down, runs still running after the shutdown grace");
                if (!runs.awaitTermination(ABORT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.error("runs {} did not end", activeRuns.runIds());
                }
            }
        } catch (InterruptedException e) {
            drainControl.handBackAll("worker shutdown interrupted");
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void pollLoop() {
        boolean groupConfigured = false;
        while (running) {
            try {
                if (!groupConfigured) {
                    configureShareGroup();
                    groupConfigured = true;
                }
                try (ShareConsumer<String, byte[]> consumer = newConsumer()) {
                    takeRuns(consumer);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | ExecutionException | TimeoutException e) {
                log.error("taking dispatches failed; retrying in {}", RETRY_BACKOFF, e);
                try {
                    Thread.sleep(RETRY_BACKOFF);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void takeRuns(ShareConsumer<String, byte[]> consumer) throws InterruptedException {
        Duration pollTimeout = properties.dispatch().pollTimeout();
        boolean subscribed = false;
        long fullSince = 0;
        while (running) {
            if (!drainControl.takesWork()) {
                if (subscribed) {
                    consumer.unsubscribe();
                    subscribed = false;
                    log.info("drained, draining or fenced: takes no dispatch and left the share group until it may");
                }
                fullSince = 0;
                drainControl.awaitTakesWork(pollTimeout);
                continue;
            }
            if (!activeRuns.awaitFree(pollTimeout)) {
                long now = System.nanoTime();
                fullSince = fullSince == 0 ? now : fullSince;
                if (subscribed && now - fullSince >= properties.dispatch().leaveGroupWhenFullAfter().toNanos()) {
                    consumer.unsubscribe();
                    subscribed = false;
                    log.info("every slot busy for {}; left the share group until a slot frees",
                            properties.dispatch().leaveGroupWhenFullAfter());
                }
                continue;
            }
            fullSince = 0;
            if (!subscribed) {
                consumer.subscribe(List.of(Topics.DISPATCH));
                subscribed = true;
            }
            if (!take(consumer, consumer.poll(pollTimeout))) {
                // A claim that could not be published: Kafka is out of this worker's reach for now. Polling again at
                // once would spend the released records' deliveries (the group archives a record after its limit).
                Thread.sleep(RETRY_BACKOFF);
            }
        }
    }

    /**
     * Acknowledges every polled record and commits; each run it takes is handed to its thread at once, and its process
     * starts only if its claim and acceptance are confirmed. Answers whether every run it took could be claimed.
     */
    private boolean take(ShareConsumer<String, byte[]> consumer, ConsumerRecords<String, byte[]> records) {
        if (records.isEmpty()) {
            return true;
        }
        List<Polled> polled = new ArrayList<>(records.count());
        for (ConsumerRecord<String, byte[]> record : records) {
            polled.add(new Polled(record, read(record)));
        }
        List<Taken> taken = new ArrayList<>();
        for (Polled next : Intake.earliestDispatchFirst(polled, Polled::dispatch)) {
            ConsumerRecord<String, byte[]> record = next.record();
            Optional<DispatchRun> dispatch = next.dispatch();
            Optional<StopCause> stopped = dispatch.flatMap(this::stopOf);
            boolean alreadyRunning = dispatch.map(run -> holds(taken, run)).orElse(false);
            Intake intake =
                    Intake.decide(dispatch, stopped.isPresent(), alreadyRunning, activeRuns.free() - taken.size());
            if (intake != Intake.RUN) {
                // A run to execute is acknowledged by claim(), once its claim is durable.
                consumer.acknowledge(record, intake.acknowledgement);
            }
            switch (intake) {
                case RUN -> taken.add(new Taken(record, dispatch.orElseThrow(), tracing.consumer(
                        record.headers(), "worker dispatch", dispatch.orElseThrow().runId())));
                case STOPPED -> log.info("run {} attempt {} is stopped ({}): acknowledged, not run",
                        dispatch.orElseThrow().runId(), dispatch.orElseThrow().attempt(), stopped.orElseThrow());
                case ALREADY_RUNNING -> log.info("run {} attempt {} was delivered again while it runs here",
                        dispatch.orElseThrow().runId(), dispatch.orElseThrow().attempt());
                case NO_FREE_SLOT -> log.debug("released run {}: no free slot", dispatch.orElseThrow().runId());
                case UNREADABLE -> {
                    // Logged by read(): the record is rejected and never delivered again.
                }
            }
        }
        List<Future<RecordMetadata>> sends = publishClaims(taken);
        // Each taken run gets its container ready while its claim and its acceptance are made durable; its process
        // starts only once both are (ClaimedRun#accepted), so a run not taken here after all never runs here.
        List<ClaimedRun> held = new ArrayList<>(taken.size());
        for (Taken run : taken) {
            ClaimedRun claimed = activeRuns.claimBeforeAcceptance(run.dispatch().runId(), run.dispatch().attempt());
            // A stop read between the intake and the claim found nothing to stop; the claim stops itself.
            stopOf(run.dispatch()).ifPresent(claimed::stop);
            held.add(claimed);
            runs.execute(() -> execute(run.dispatch(), claimed, run.span()));
        }
        boolean[] claimed = acknowledge(consumer, taken, sends);
        Map<TopicIdPartition, Optional<KafkaException>> results;
        try {
            results = consumer.commitSync(REQUEST_TIMEOUT);
        } catch (KafkaException e) {
            // Unknown whether the broker recorded the ACCEPT. Running risks a second execution should the record be
            // delivered again (consumers of the events ignore the duplicate); not running risks losing the run.
            log.warn("committing acknowledgements failed; running the taken runs anyway", e);
            results = Map.of();
        }
        boolean allClaimed = true;
        for (int i = 0; i < taken.size(); i++) {
            Taken run = taken.get(i);
            if (!claimed[i]) {
                allClaimed = false;
                held.get(i).stop(StopCause.NOT_TAKEN);
                run.span().tag("outcome", "unclaimed");
            } else {
                Optional<KafkaException> refused = refusal(results, run.record());
                if (refused.isPresent()) {
                    log.warn("the broker refused taking run {} ({}); it delivers it again", run.dispatch().runId(),
                            refused.get().getClass().getSimpleName());
                    held.get(i).stop(StopCause.NOT_TAKEN);
                    run.span().tag("outcome", "refused");
                } else {
                    held.get(i).accepted();
                }
            }
            // The dispatch span covers the intake (poll, acknowledgement, commit, claim); the execution is its child.
            run.span().end();
        }
        return allClaimed;
    }

    /** Publishes the {@code RunStarting} of every taken run; answers the sends, in order. */
    private List<Future<RecordMetadata>> publishClaims(List<Taken> taken) {
        List<Future<RecordMetadata>> sends = new ArrayList<>(taken.size());
        for (Taken run : taken) {
            Future<RecordMetadata> send;
            try {
                send = lifecycle.claim(run.dispatch(), run.span());
            } catch (KafkaException e) {
                send = CompletableFuture.failedFuture(e);
            }
            sends.add(send);
        }
        return sends;
    }

    /**
     * Acknowledges each taken run whose claim ({@code sends}, in order) Kafka confirmed within {@link #REQUEST_TIMEOUT}
     * (ACCEPT) and releases the others (RELEASE: delivered again, here or elsewhere); answers which were claimed. Claim
     * before acceptance: a run this worker accepts is one the scheduler leases to it, so should the worker die or be cut
     * off right after, the lease gives the attempt up. Accepted first and claimed after, a claim that never left the
     * worker would leave the scheduler holding a dispatch nobody runs or ends.
     */
    private boolean[] acknowledge(
            ShareConsumer<String, byte[]> consumer, List<Taken> taken, List<Future<RecordMetadata>> sends) {
        long deadline = System.nanoTime() + REQUEST_TIMEOUT.toNanos();
        boolean[] claimed = new boolean[taken.size()];
        for (int i = 0; i < taken.size(); i++) {
            Taken run = taken.get(i);
            try {
                sends.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                consumer.acknowledge(run.record(), AcknowledgeType.ACCEPT);
                claimed[i] = true;
            } catch (ExecutionException | TimeoutException | InterruptedException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                log.warn("run {} attempt {} not claimed ({}); released for another delivery", run.dispatch().runId(),
                        run.dispatch().attempt(), e instanceof ExecutionException failed ? failed.getCause() : e);
                consumer.acknowledge(run.record(), AcknowledgeType.RELEASE);
            }
        }
        return claimed;
    }

    private Optional<StopCause> stopOf(DispatchRun dispatch) {
        return stoppedAttempts.stopOf(dispatch.runId(), dispatch.attempt(), clock.instant());
    }

    private boolean holds(List<Taken> taken, DispatchRun run) {
        return activeRuns.holds(run.runId(), run.attempt())
                || taken.stream().anyMatch(t -> t.dispatch().runId().equals(run.runId())
                        && t.dispatch().attempt() == run.attempt());
    }

    private void execute(DispatchRun dispatch, ClaimedRun claimed, Span dispatched) {
        try {
            lifecycle.execute(dispatch, claimed, dispatched);
        } finally {
            activeRuns.release(claimed);
        }
    }

    private static Optional<KafkaException> refusal(
            Map<TopicIdPartition, Optional<KafkaException>> results, ConsumerRecord<String, byte[]> record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        return results.entrySet().stream()
                .filter(result -> result.getKey().topicPartition().equals(partition))
                .findFirst()
                .flatMap(Map.Entry::getValue);
    }

    /** The record's dispatch, or empty (logged) when it is not one this build reads. Never logs the payload. */
    private static Optional<DispatchRun> read(ConsumerRecord<String, byte[]> record) {
        try {
            if (record.value() != null && MessageSerde.fromBytes(record.value()) instanceof DispatchRun dispatch) {
                return Optional.of(dispatch);
            }
            log.warn("rejecting dispatch record {}-{}@{}: not a DispatchRun", record.topic(), record.partition(),
                    record.offset());
        } catch (RuntimeException e) {
            log.warn("rejecting unreadable dispatch record {}-{}@{}: {}", record.topic(), record.partition(),
                    record.offset(), e.getClass().getSimpleName());
        }
        return Optional.empty();
    }

    /**
     * Idempotent: sets the share group to start from the earliest dispatch and to see committed dispatches only, the
     * same on every worker's start.
     */
    private void configureShareGroup() throws InterruptedException, ExecutionException, TimeoutException {
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, properties.bootstrapServers()));
        try {
            admin.incrementalAlterConfigs(Map.of(
                            new ConfigResource(ConfigResource.Type.GROUP, Topics.WORKER_SHARE_GROUP),
                            List.of(
                                    new AlterConfigOp(new ConfigEntry(SHARE_AUTO_OFFSET_RESET, "earliest"),
                                            AlterConfigOp.OpType.SET),
                                    new AlterConfigOp(new ConfigEntry(SHARE_ISOLATION_LEVEL, "read_committed"),
                                            AlterConfigOp.OpType.SET))))
                    .all()
                    .get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            admin.close(Duration.ZERO);
        }
    }

    private ShareConsumer<String, byte[]> newConsumer() {
        Map<String, Object> config = new HashMap<>(KafkaLimits.consumer());
        config.putAll(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, properties.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, Topics.WORKER_SHARE_GROUP,
                ConsumerConfig.CLIENT_ID_CONFIG, "coderun-worker-" + properties.id(),
                ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit",
                ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, RECORDS_PER_POLL));
        return new KafkaShareConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** A polled record and its dispatch, empty when it could not be read as one. */
    private record Polled(ConsumerRecord<String, byte[]> record, Optional<DispatchRun> dispatch) {}

    private record Taken(ConsumerRecord<String, byte[]> record, DispatchRun dispatch, Span span) {}
}

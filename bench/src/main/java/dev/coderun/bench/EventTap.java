package dev.coderun.bench;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunStatus;
import dev.coderun.events.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the dispatch, events and output topics from their current end (no consumer group, read_committed) and keeps,
 * per run, when each step happened by the services' own clocks: the scheduler's dispatch, the worker's STARTING and
 * RUNNING, its first output chunk, and the terminal event; and, by its own clock, when it first read the dispatch
 * (its transaction was committed by then, so this splits the dispatch hop into the scheduler's commit and the worker's
 * intake). The gateway, scheduler and worker run on this machine, so their clocks and the bench's are one.
 */
final class EventTap implements AutoCloseable {

    /** One run's milestones, epoch milliseconds (0 = not seen yet). */
    static final class Milestones {
        volatile long dispatched;
        /** When this reader first got the dispatch: its transaction was committed by then. */
        volatile long dispatchSeen;
        volatile long starting;
        volatile long running;
        volatile long firstOutput;
        volatile long terminal;
        volatile RunStatus status;
        final CompletableFuture<RunStatus> done = new CompletableFuture<>();
    }

    private final Map<String, Milestones> runs = new ConcurrentHashMap<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    EventTap(String bootstrap) {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES,
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MAX_MESSAGE_BYTES * 2,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.DISPATCH, Topics.EVENTS, Topics.OUTPUT)) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the end now, before any run is submitted
        thread = Thread.ofPlatform().name("event-tap").daemon().start(this::loop);
    }

    Milestones of(String runId) {
        return runs.computeIfAbsent(runId, id -> new Milestones());
    }

    private void loop() {
        while (running) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                Message message;
                try {
                    message = MessageSerde.fromBytes(record.value());
                } catch (RuntimeException e) {
                    continue;
                }
                switch (message) {
                    case DispatchRun d -> {
                        Milestones m = of(d.runId());
                        first(m, d.at(), x -> x.dispatched, (x, t) -> x.dispatched = t);
                        if (m.dispatchSeen == 0) {
                            m.dispatchSeen = System.currentTimeMillis();
                        }
                    }
                    case OutputChunk c -> first(of(c.runId()), c.at(), m -> m.firstOutput, (m, t) -> m.firstOutput = t);
                    case RunEvent e -> onEvent(e);
                    default -> { }
                }
            }
        }
        consumer.close(Duration.ZERO);
    }

    private void onEvent(RunEvent event) {
        Milestones m = of(event.runId());
        switch (event.status()) {
            case STARTING -> first(m, event.at(), x -> x.starting, (x, t) -> x.starting = t);
            case RUNNING -> first(m, event.at(), x -> x.running, (x, t) -> x.running = t);
            default -> {
                if (event.status().isTerminal() && m.terminal == 0) {
                    m.terminal = event.at().toEpochMilli();
                    m.status = event.status();
                    m.done.complete(event.status());
                }
            }
        }
    }

    private static void first(Milestones m, Instant at, java.util.function.ToLongFunction<Milestones> get,
            java.util.function.ObjLongConsumer<Milestones> set) {
        if (get.applyAsLong(m) == 0 && at != null) {
            set.accept(m, at.toEpochMilli());
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(2000);
    }
}

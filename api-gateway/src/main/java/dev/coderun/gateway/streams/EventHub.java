package dev.coderun.gateway.streams;

import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunEvent;
import dev.coderun.events.Topics;
import dev.coderun.gateway.api.ApiException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The gateway's live feed of the events and output topics. One consumer per gateway instance, in no consumer group:
 * it assigns itself every partition of both topics, starts at their end (read-committed, so aborted scheduler
 * transactions never show) and fans each decoded record out to the {@link Subscription}s registered for its handle
 * or run. Its thread never blocks on a subscriber: a subscriber that falls behind overflows its own buffer and is
 * dropped. Records it cannot decode are skipped (the projector dead-letters them).
 */
@Component
public class EventHub implements SmartLifecycle, MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(EventHub.class);
    private static final Duration RETRY = Duration.ofSeconds(1);
    /**
     * How long the live consumer's fetch may wait on the broker when there is nothing to read. A committed record
     * completes a waiting fetch as soon as it is readable, so this bounds only how often an idle hub asks again.
     */
    private static final int LIVE_FETCH_WAIT_MS = 500;
    /** A replay reads up to an end it knows; a short wait keeps its last, possibly empty, fetch short. */
    private static final int REPLAY_FETCH_WAIT_MS = 50;

    private final KafkaProperties kafka;
    private final StreamProperties properties;
    private final Map<String, Set<Subscription>> byHandle = new ConcurrentHashMap<>();
    private final Map<String, Set<Subscription>> outputByHandle = new ConcurrentHashMap<>();
    private final Map<String, Set<Subscription>> byRun = new ConcurrentHashMap<>();
    private volatile boolean running;
    private volatile boolean ready;
    private volatile int eventPartitions;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    public EventHub(KafkaProperties kafka, StreamProperties properties) {
        this.kafka = kafka;
        this.properties = properties;
    }

    /** Status changes of {@code handle}'s runs, from the moment of this call. */
    public Subscription subscribeHandle(String handle) {
        return register(byHandle, handle);
    }

    /** Status changes and output chunks of every run of {@code handle}, from the moment of this call. */
    public Subscription subscribeHandleWithOutput(String handle) {
        return register(outputByHandle, handle);
    }

    /** Status changes and output chunks of one run, from the moment of this call. */
    public Subscription subscribeRun(String runId) {
        return register(byRun, runId);
    }

    /** The partition of the events topic that holds {@code handle}'s events (Kafka's default partitioner). */
    public int partitionOf(String handle) {
        requireReady();
        return Utils.toPositive(Utils.murmur2(handle.getBytes(StandardCharsets.UTF_8))) % eventPartitions;
    }

    /** A consumer in no group, for a short replay; the caller closes it. */
    KafkaConsumer<String, byte[]> newConsumer(String clientSuffix) {
        return newConsumer(clientSuffix, REPLAY_FETCH_WAIT_MS);
    }

    private KafkaConsumer<String, byte[]> newConsumer(String clientSuffix, int fetchMaxWaitMs) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "coderun-gateway-" + clientSuffix);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, fetchMaxWaitMs);
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_REQUEST_BYTES);
        config.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MAX_REQUEST_BYTES);
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                (int) properties.replayTimeout().toMillis());
        return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private Subscription register(Map<String, Set<Subscription>> index, String key) {
        requireReady();
        Subscription[] holder = new Subscription[1];
        Subscription subscription = new Subscription(properties.subscriberBuffer(), () -> index.computeIfPresent(
                key, (k, subs) -> {
                    subs.remove(holder[0]);
                    return subs.isEmpty() ? null : subs;
                }));
        holder[0] = subscription;
        index.compute(key, (k, subs) -> {
            Set<Subscription> set = subs == null ? ConcurrentHashMap.newKeySet() : subs;
            set.add(subscription);
            return set;
        });
        return subscription;
    }

    private void requireReady() {
        if (!ready) {
            throw ApiException.upstreamUnavailable("the event stream is not connected to Kafka yet; retry shortly");
        }
    }

    /** Publishes {@link #subscribers()} as the gauge {@code coderun.sse.subscribers}. */
    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("coderun.sse.subscribers", this, EventHub::subscribers)
                .description("event streams (SSE) open on this gateway")
                .register(registry);
    }

    /** How many subscribers are registered, over all indexes. */
    public int subscribers() {
        return List.of(byHandle, outputByHandle, byRun).stream()
                .mapToInt(index -> index.values().stream().mapToInt(Set::size).sum()).sum();
    }

    @Override
    public void start() {
        running = true;
        thread = Thread.ofPlatform().name("event-hub").daemon().start(this::run);
    }

    @Override
    public void stop() {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void run() {
        while (running) {
            try (KafkaConsumer<String, byte[]> c = newConsumer("event-hub", LIVE_FETCH_WAIT_MS)) {
                consumer = c;
                if (!running) {
                    return;
                }
                assignAtEnd(c);
                ready = true;
                log.info("event hub following {} and {} from their end", Topics.EVENTS, Topics.OUTPUT);
                while (running) {
                    for (ConsumerRecord<String, byte[]> record : c.poll(properties.pollTimeout())) {
                        dispatch(record);
                    }
                }
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                // A consumer that fails is replaced by a new one at the end of the topics: its subscribers are
                // dropped, since records between the two were not seen, and reconnect (resuming where they can).
                ready = false;
                dropAll();
                log.warn("event hub consumer failed, restarting in {}: {}", RETRY, e.toString());
                sleep();
            }
        }
    }

    private void assignAtEnd(KafkaConsumer<String, byte[]> c) {
        List<TopicPartition> partitions = new ArrayList<>();
        List<PartitionInfo> events = c.partitionsFor(Topics.EVENTS);
        List<PartitionInfo> output = c.partitionsFor(Topics.OUTPUT);
        if (events == null || events.isEmpty() || output == null || output.isEmpty()) {
            throw new IllegalStateException("topics " + Topics.EVENTS + " and " + Topics.OUTPUT + " not found");
        }
        events.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        output.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        eventPartitions = events.size();
        c.assign(partitions);
        c.seekToEnd(partitions);
        // Resolve the end now, so that a subscriber registered from here on sees every record written after it.
        partitions.forEach(c::position);
    }

    private void dispatch(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null || !wanted(record)) {
            return;
        }
        Message message;
        try {
            message = MessageSerde.fromBytes(record.value());
        } catch (RuntimeException e) {
            log.debug("event hub skips an unreadable record at {}-{}@{}: {}", record.topic(), record.partition(),
                    record.offset(), e.toString());
            return;
        }
        HubRecord hubRecord = new HubRecord(record.topic(), record.partition(), record.offset(), message);
        switch (message) {
            case RunEvent event -> {
                deliver(byHandle, event.handle(), hubRecord);
                deliver(outputByHandle, event.handle(), hubRecord);
                deliver(byRun, event.runId(), hubRecord);
            }
            case OutputChunk chunk -> {
                deliver(outputByHandle, chunk.handle(), hubRecord);
                deliver(byRun, chunk.runId(), hubRecord);
            }
            default -> { }
        }
    }

    /**
     * Whether a subscriber may want {@code record}, judged from its key alone (events are keyed by handle, output by
     * run id), so that records nobody follows are not decoded: with no stream open, the hub decodes nothing. A record
     * without a key is decoded.
     */
    private boolean wanted(ConsumerRecord<String, byte[]> record) {
        String key = record.key();
        if (key == null) {
            return true;
        }
        if (record.topic().equals(Topics.OUTPUT)) {
            return byRun.containsKey(key) || !outputByHandle.isEmpty();
        }
        return byHandle.containsKey(key) || outputByHandle.containsKey(key) || !byRun.isEmpty();
    }

    private static void deliver(Map<String, Set<Subscription>> index, String key, HubRecord record) {
        Set<Subscription> subscriptions = index.get(key);
        if (subscriptions != null) {
            for (Subscription subscription : subscriptions) {
                subscription.offer(record);
            }
        }
    }

    private void dropAll() {
        for (Map<String, Set<Subscription>> index : List.of(byHandle, outputByHandle, byRun)) {
            index.values().stream().flatMap(Set::stream).toList().forEach(s -> s.fail(
                    new Subscription.Disconnected("feed_lost", "the gateway lost its event feed; reconnect")));
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(RETRY);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

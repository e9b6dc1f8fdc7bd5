package dev.coderun.gateway.fleet;

import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.Topics;
import dev.coderun.events.WorkerHeartbeat;
import dev.coderun.gateway.api.ApiException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Follows the compacted heartbeats topic into this gateway's {@link FleetView}: a consumer in no group, assigned every
 * partition from its start, so every gateway instance holds the whole fleet by itself (no table, nothing shared
 * between instances; the topic holds one heartbeat per worker, a few hundred bytes each). Until it has read the topic
 * up to the end it found at its start, {@link #view()} refuses with {@code upstream_unavailable}, so a gateway that
 * just started never calls a live worker unknown.
 */
@Component
class HeartbeatFeed implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(HeartbeatFeed.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final KafkaProperties kafka;
    private final FleetView view;
    private volatile boolean running;
    private volatile boolean caughtUp;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    HeartbeatFeed(KafkaProperties kafka, FleetProperties properties) {
        this.kafka = kafka;
        this.view = new FleetView(properties.lostAfter(), properties.forgetAfter());
    }

    /** The fleet as this gateway knows it. */
    FleetView view() {
        if (!caughtUp) {
            throw ApiException.upstreamUnavailable("the worker heartbeats are not read yet; retry shortly");
        }
        return view;
    }

    @Override
    public void start() {
        running = true;
        thread = Thread.ofPlatform().name("heartbeat-feed").daemon().start(this::run);
    }

    @Override
    public void stop() {
        running = false;
        KafkaConsumer<String, byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
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
            try (KafkaConsumer<String, byte[]> current = newConsumer()) {
                consumer = current;
                if (!running) {
                    return;
                }
                List<TopicPartition> partitions = current.partitionsFor(Topics.HEARTBEATS).stream()
                        .map(info -> new TopicPartition(info.topic(), info.partition()))
                        .toList();
                if (partitions.isEmpty()) {
                    throw new IllegalStateException("topic " + Topics.HEARTBEATS + " has no partitions");
                }
                current.assign(partitions);
                current.seekToBeginning(partitions);
                Map<TopicPartition, Long> ends = current.endOffsets(partitions);
                while (running) {
                    for (ConsumerRecord<String, byte[]> record : current.poll(POLL_TIMEOUT)) {
                        apply(record);
                    }
                    if (!caughtUp && ends.entrySet().stream()
                            .allMatch(end -> current.position(end.getKey()) >= end.getValue())) {
                        caughtUp = true;
                        log.info("fleet view caught up with {}", Topics.HEARTBEATS);
                    }
                }
            } catch (WakeupException stopping) {
                return;
            } catch (RuntimeException e) {
                // Reading the topic again from its start folds the same heartbeats again, which changes nothing.
                log.warn("reading {} failed, again in {}: {}", Topics.HEARTBEATS, RETRY, e.toString());
                try {
                    Thread.sleep(RETRY);
                } catch (InterruptedException interrupted) {
                    return;
                }
            } finally {
                consumer = null;
            }
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            if (record.key() != null) {
                view.forget(record.key());
            }
            return;
        }
        try {
            Message message = MessageSerde.fromBytes(record.value());
            if (message instanceof WorkerHeartbeat heartbeat && heartbeat.workerId() != null
                    && heartbeat.at() != null) {
                view.fold(heartbeat);
            } else {
                log.warn("skipping heartbeat record {}-{}@{}: not a WorkerHeartbeat", record.topic(),
                        record.partition(), record.offset());
            }
        } catch (RuntimeException e) {
            log.warn("skipping unreadable heartbeat record {}-{}@{}: {}", record.topic(), record.partition(),
                    record.offset(), e.getClass().getSimpleName());
        }
    }

    private KafkaConsumer<String, byte[]> newConsumer() {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "coderun-gateway-heartbeat-feed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }
}

package dev.coderun.scheduler.topology;

import dev.coderun.events.Topics;
import dev.coderun.observability.KafkaTracing;
import dev.coderun.scheduler.SchedulerProperties;
import dev.coderun.scheduler.admission.Admission;
import dev.coderun.scheduler.admission.AdmissionPolicy;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/** Runs the scheduler topology with exactly-once processing for as long as the application runs. */
@Component
class SchedulerStreams implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(SchedulerStreams.class);

    private final SchedulerProperties properties;
    private final SchedulerMetrics metrics;
    private final KafkaTracing traces;
    private volatile KafkaStreams streams;
    private volatile KafkaStreamsMetrics clientMetrics;

    /** Without metrics or tracing (tests). */
    SchedulerStreams(SchedulerProperties properties) {
        this(properties, SchedulerMetrics.detached(), KafkaTracing.off());
    }

    @Autowired
    SchedulerStreams(SchedulerProperties properties, SchedulerMetrics metrics, KafkaTracing traces) {
        this.properties = properties;
        this.metrics = metrics;
        this.traces = traces;
    }

    @Override
    public void start() {
        Admission admission = new Admission(new AdmissionPolicy(
                properties.maxActiveRunsPerHandle(), properties.maxQueuedRunsPerHandle(), properties.leaseTimeout()));
        streams = new KafkaStreams(SchedulerTopology.build(
                admission, Clock.systemUTC(), properties.leaseCheckInterval(), metrics, traces), config());
        // The streams' own client metrics (kafka.stream.*, and its consumers' records-lag-max among kafka.consumer.*).
        clientMetrics = new KafkaStreamsMetrics(streams);
        clientMetrics.bindTo(metrics.registry());
        streams.setUncaughtExceptionHandler(e -> {
            log.error("scheduler stream thread failed; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> log.info("scheduler streams {} -> {}", before, now));
        streams.start();
    }

    Properties config() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, properties.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, properties.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, properties.commitInterval().toMillis());
        p.put(StreamsConfig.POLL_MS_CONFIG, properties.pollTimeout().toMillis());
        p.put(StreamsConfig.STATE_DIR_CONFIG, properties.stateDir().toString());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, properties.streamThreads());
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
        // Single-broker friendly; a real cluster overrides through coderun.scheduler.* and broker defaults.
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 0);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
                (int) properties.groupSessionTimeout().toMillis());
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG),
                (int) properties.groupSessionTimeout().toMillis() / 5);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        // Every record the scheduler reads or writes, changelogs included, may carry the largest request the API
        // accepts: all size bounds come from the one bound in the contract.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), Topics.MAX_REQUEST_BYTES);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), Topics.MAX_REQUEST_BYTES);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_BYTES_CONFIG), 4 * Topics.MAX_REQUEST_BYTES);
        p.put(StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG), Topics.MAX_REQUEST_BYTES);
        return p;
    }

    @Override
    public void stop() {
        KafkaStreams running = streams;
        if (clientMetrics != null) {
            clientMetrics.close();
        }
        if (running != null) {
            // Leave the group on the way out: otherwise a restarted scheduler waits out this member's session timeout
            // (45 s) before it gets its partitions back, and no run is admitted meanwhile.
            running.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofSeconds(10)));
        }
    }

    /** The streams' state; CREATED before {@link #start()}. */
    KafkaStreams.State state() {
        KafkaStreams running = streams;
        return running == null ? KafkaStreams.State.CREATED : running.state();
    }

    @Override
    public boolean isRunning() {
        KafkaStreams running = streams;
        return running != null && running.state().isRunningOrRebalancing();
    }
}

package dev.coderun.scheduler.observability;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code coderun.kafka.group.lag}: records not yet consumed by each coderun group (id starting {@code coderun}), per
 * group and topic, summed over partitions; read from the brokers every {@code interval}, so it covers every
 * instance's consumers, including the gateways' projector and the scheduler's streams. Consumer groups (classic and
 * the new protocol, the streams application's group among them): read-committed end offset minus committed offset.
 * The worker share group: the broker's own lag per share partition (KIP-932's share-partition start offset to the
 * end). A group Kafka cannot answer for is left out of that round and logged.
 */
final class GroupLag implements MeterBinder, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GroupLag.class);
    private static final String PREFIX = "coderun";

    private final Admin admin;
    private final Duration interval;
    private final ScheduledExecutorService ticker =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("group-lag").daemon().factory());
    private volatile MultiGauge lag;

    GroupLag(Admin admin, Duration interval) {
        this.admin = admin;
        this.interval = interval;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        lag = MultiGauge.builder("coderun.kafka.group.lag")
                .description("records of a topic not yet consumed by a coderun consumer or share group")
                .baseUnit("records")
                .register(registry);
        ticker.scheduleWithFixedDelay(this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void refresh() {
        try {
            List<MultiGauge.Row<?>> rows = new ArrayList<>();
            long timeoutMs = interval.toMillis();
            for (GroupListing group : admin.listGroups().all().get(timeoutMs, TimeUnit.MILLISECONDS)) {
                if (!group.groupId().startsWith(PREFIX)) {
                    continue;
                }
                try {
                    Map<String, Long> byTopic = group.type().orElse(GroupType.UNKNOWN) == GroupType.SHARE
                            ? shareLag(group.groupId(), timeoutMs) : consumerLag(group.groupId(), timeoutMs);
                    byTopic.forEach((topic, records) -> rows.add(
                            MultiGauge.Row.of(Tags.of("group", group.groupId(), "topic", topic), records)));
                } catch (Exception e) {
                    log.debug("lag of group {} not read: {}", group.groupId(), e.toString());
                }
            }
            lag.register(rows, true);
        } catch (Exception e) {
            log.debug("group lag not read: {}", e.toString());
        }
    }

    private Map<String, Long> consumerLag(String group, long timeoutMs) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(timeoutMs, TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> latest = committed.keySet().stream()
                .collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()));
        var ends = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .all().get(timeoutMs, TimeUnit.MILLISECONDS);
        Map<String, Long> byTopic = new HashMap<>();
        committed.forEach((tp, offset) -> {
            if (offset != null && ends.containsKey(tp)) {
                byTopic.merge(tp.topic(), Math.max(0, ends.get(tp).offset() - offset.offset()), Long::sum);
            }
        });
        return byTopic;
    }

    private Map<String, Long> shareLag(String group, long timeoutMs) throws Exception {
        Map<TopicPartition, SharePartitionOffsetInfo> offsets = admin
                .listShareGroupOffsets(Map.of(group, new ListShareGroupOffsetsSpec()))
                .partitionsToOffsetInfo(group).get(timeoutMs, TimeUnit.MILLISECONDS);
        Map<String, Long> byTopic = new HashMap<>();
        offsets.forEach((tp, info) -> Optional.ofNullable(info).flatMap(SharePartitionOffsetInfo::lag)
                .ifPresent(records -> byTopic.merge(tp.topic(), Math.max(0, records), Long::sum)));
        return byTopic;
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}

package dev.coderun.infra.kafka;

import dev.coderun.events.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates every topic in {@link Topics#ALL} that does not exist yet, each allowing records up to the contract's size
 * bound; safe to run any number of times.
 */
public final class TopicProvisioner {

    private static final Duration LEADERS_WAIT = Duration.ofSeconds(60);

    private TopicProvisioner() {}

    public static List<String> provision(String bootstrapServers, short replicationFactor) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(props)) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = new ArrayList<>();
            for (Topics.TopicSpec spec : Topics.ALL) {
                if (!existing.contains(spec.name())) {
                    NewTopic topic = new NewTopic(spec.name(), spec.partitions(), replicationFactor);
                    topic.configs(Map.of(
                            TopicConfig.CLEANUP_POLICY_CONFIG,
                            spec.compacted() ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE,
                            TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                            String.valueOf(Topics.MAX_REQUEST_BYTES)));
                    missing.add(topic);
                }
            }
            if (!missing.isEmpty()) {
                try {
                    admin.createTopics(missing).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                        throw e;
                    }
                }
            }
            // Topics made by an earlier version keep their data but get today's size bound.
            Map<ConfigResource, Collection<AlterConfigOp>> sizes = new HashMap<>();
            for (Topics.TopicSpec spec : Topics.ALL) {
                if (existing.contains(spec.name())) {
                    sizes.put(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()), List.of(new AlterConfigOp(
                            new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                                    String.valueOf(Topics.MAX_REQUEST_BYTES)),
                            AlterConfigOp.OpType.SET)));
                }
            }
            if (!sizes.isEmpty()) {
                admin.incrementalAlterConfigs(sizes).all().get();
            }
            awaitLeaders(admin);
            return missing.stream().map(NewTopic::name).toList();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while provisioning topics", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not provision topics on " + bootstrapServers, e.getCause());
        }
    }

    /**
     * Waits until the broker's metadata shows every partition of every topic with a leader. Creation completes when
     * the controller has recorded the topics; a broker under load can answer metadata without them for a moment
     * longer, and Kafka Streams refuses to start a global store on a topic it sees without partitions.
     */
    private static void awaitLeaders(Admin admin) throws InterruptedException, ExecutionException {
        List<String> names = Topics.ALL.stream().map(Topics.TopicSpec::name).toList();
        long deadline = System.nanoTime() + LEADERS_WAIT.toNanos();
        while (true) {
            List<String> waiting = new ArrayList<>();
            try {
                admin.describeTopics(names).allTopicNames().get().forEach((name, description) -> {
                    if (description.partitions().isEmpty()
                            || description.partitions().stream().anyMatch(p -> p.leader() == null)) {
                        waiting.add(name);
                    }
                });
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
                waiting.add(e.getCause().getMessage());
            }
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics without partition leaders after " + LEADERS_WAIT + ": "
                        + waiting);
            }
            Thread.sleep(100);
        }
    }
}

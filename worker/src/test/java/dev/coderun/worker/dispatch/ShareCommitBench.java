package dev.coderun.worker.dispatch;

import dev.coderun.events.Topics;
import dev.coderun.infra.kafka.KraftBroker;
import dev.coderun.infra.kafka.TopicProvisioner;
import dev.coderun.worker.KafkaLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The dispatch hop without the stack: a transactional producer commits one dispatch at a time (as the scheduler does)
 * and a share consumer configured as {@link DispatchConsumer}'s takes it, acknowledges ACCEPT and commits
 * synchronously. Prints p50/p95/p99 of commit → record polled, of the acknowledgement commit, and of the whole hop,
 * for each share-consumer setting given ({@code fetch.max.wait.ms} values). Run by
 * {@code infra/scripts/bench-share-commit.sh [N] [WAITS]}.
 */
public final class ShareCommitBench {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        String[] waits = (args.length > 1 ? args[1] : "500,50,10").split(",");
        Path dir = Files.createTempDirectory("share-commit-bench");
        try (KraftBroker broker = KraftBroker.start(dir, "127.0.0.1", 0)) {
            TopicProvisioner.provision(broker.bootstrapServers(), (short) 1);
            try (Admin admin = Admin.create(
                    Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.incrementalAlterConfigs(Map.of(
                        new ConfigResource(ConfigResource.Type.GROUP, Topics.WORKER_SHARE_GROUP),
                        List.of(new AlterConfigOp(new ConfigEntry(DispatchConsumer.SHARE_AUTO_OFFSET_RESET, "latest"),
                                        AlterConfigOp.OpType.SET),
                                new AlterConfigOp(new ConfigEntry(DispatchConsumer.SHARE_ISOLATION_LEVEL,
                                        "read_committed"), AlterConfigOp.OpType.SET)))).all().get();
            }
            Map<String, Object> producerConfig = new HashMap<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, "share-commit-bench",
                    ProducerConfig.LINGER_MS_CONFIG, 0));
            try (KafkaProducer<String, byte[]> producer =
                    new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer())) {
                producer.initTransactions();
                for (String wait : waits) {
                    measure(broker.bootstrapServers(), producer, n, Integer.parseInt(wait.trim()));
                }
            }
        }
        System.exit(0);
    }

    private static void measure(String bootstrap, KafkaProducer<String, byte[]> producer, int n, int fetchMaxWaitMs)
            throws Exception {
        Map<String, Object> config = new HashMap<>(KafkaLimits.consumer());
        config.putAll(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, Topics.WORKER_SHARE_GROUP,
                ConsumerConfig.CLIENT_ID_CONFIG, "share-commit-bench",
                ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit",
                ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, DispatchConsumer.RECORDS_PER_POLL,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, fetchMaxWaitMs));
        List<Long> polled = new ArrayList<>();
        List<Long> committed = new ArrayList<>();
        List<Long> hop = new ArrayList<>();
        try (KafkaShareConsumer<String, byte[]> consumer =
                new KafkaShareConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.DISPATCH));
            consumer.poll(Duration.ofSeconds(2)); // joins the group
            for (int i = 0; i < n + 5; i++) {
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(Topics.DISPATCH, "run-" + i, new byte[200]));
                producer.commitTransaction();
                long visible = System.nanoTime();
                ConsumerRecords<String, byte[]> records = ConsumerRecords.empty();
                long deadline = visible + Duration.ofSeconds(10).toNanos();
                while (records.isEmpty() && System.nanoTime() < deadline) {
                    records = consumer.poll(Duration.ofSeconds(1));
                }
                long got = System.nanoTime();
                for (ConsumerRecord<String, byte[]> record : records) {
                    consumer.acknowledge(record, AcknowledgeType.ACCEPT);
                }
                consumer.commitSync(Duration.ofSeconds(15));
                long done = System.nanoTime();
                if (i >= 5) { // the first few warm the connections up
                    polled.add(got - visible);
                    committed.add(done - got);
                    hop.add(done - visible);
                }
                Thread.sleep(20);
            }
        }
        System.out.printf("fetch.max.wait.ms=%-4d commit->polled %s | commitSync %s | hop %s (ms p50/p95/p99, n=%d)%n",
                fetchMaxWaitMs, brief(polled), brief(committed), brief(hop), n);
    }

    private static String brief(List<Long> nanos) {
        List<Long> sorted = nanos.stream().sorted().toList();
        return String.format("%.1f/%.1f/%.1f", at(sorted, 0.50), at(sorted, 0.95), at(sorted, 0.99));
    }

    private static double at(List<Long> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1)) / 1e6;
    }
}

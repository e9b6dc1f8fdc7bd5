package dev.coderun.infra.kafka;

import dev.coderun.events.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;

/**
 * A single-node Kafka broker in KRaft combined mode (broker + controller), built from the production jars only. The
 * stack launcher runs it as its own JVM ({@link KraftBrokerMain}); integration tests start it in-process. Its
 * configuration is what a one-node cluster needs for share groups and exactly-once Kafka Streams: every internal topic
 * with replication factor and min ISR 1.
 */
public final class KraftBroker implements AutoCloseable {

    private final KafkaRaftServer server;
    private final String bootstrapServers;

    private KraftBroker(KafkaRaftServer server, String bootstrapServers) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Formats {@code dataDir} if it holds no cluster yet, then starts the broker.
     *
     * @param port the client port (0 picks a free one); the controller listens on another free port
     */
    public static KraftBroker start(Path dataDir, String host, int port) throws IOException {
        int clientPort = port == 0 ? freePort() : port;
        int controllerPort = freePort();
        Path logDir = dataDir.resolve("kraft-logs");
        Files.createDirectories(logDir);
        Properties props = config(logDir, host, clientPort, controllerPort);
        Path propsFile = dataDir.resolve("server.properties");
        try (var out = Files.newOutputStream(propsFile)) {
            props.store(out, "coderun single-node KRaft broker");
        }
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            format(propsFile);
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        server.startup();
        return new KraftBroker(server, host + ":" + clientPort);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }

    static Properties config(Path logDir, String host, int clientPort, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.bootstrap.servers", host + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + host + ":" + clientPort + ",CONTROLLER://" + host + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + host + ":" + clientPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir.toAbsolutePath().toString());
        p.put("num.partitions", "6");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "6");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "6");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("share.coordinator.state.topic.num.partitions", "6");
        p.put("group.initial.rebalance.delay.ms", "0");
        // A worker killed mid-run keeps its share of the dispatch partitions until its member expires: 45 s by default,
        // during which the re-attempt of its run may wait on a partition nobody reads. 10 s bounds that.
        p.put("group.share.min.session.timeout.ms", "6000");
        p.put("group.share.session.timeout.ms", "10000");
        p.put("group.share.min.heartbeat.interval.ms", "1000");
        p.put("group.share.heartbeat.interval.ms", "2000");
        // A worker that acquires a second dispatch without a free slot releases it, and every acquisition counts as a
        // delivery: allow the most deliveries the broker permits before a dispatch would be archived (default 5).
        p.put("group.share.delivery.count.limit", "10");
        p.put("auto.create.topics.enable", "false");
        p.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        p.put("log.retention.hours", "24");
        // Sized from the contract's one bound, so a record carrying the largest accepted request always fits.
        p.put("message.max.bytes", String.valueOf(Topics.MAX_REQUEST_BYTES));
        p.put("replica.fetch.max.bytes", String.valueOf(Topics.MAX_REQUEST_BYTES));
        return p;
    }

    private static void format(Path propsFile) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            kafka.tools.StorageTool.execute(
                    new String[] {
                        "format",
                        "--config", propsFile.toString(),
                        "--cluster-id", clusterId(),
                        "--standalone",
                        "--ignore-formatted"
                    },
                    out);
        } catch (Exception e) {
            throw new IllegalStateException("formatting KRaft storage failed: " + captured, e);
        }
    }

    private static String clusterId() {
        return org.apache.kafka.common.Uuid.randomUuid().toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }
}

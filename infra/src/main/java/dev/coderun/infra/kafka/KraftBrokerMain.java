package dev.coderun.infra.kafka;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the single-node broker as its own process for {@code bin/coderun up}:
 * {@code java -jar infra-exec.jar <data-dir> [port]}. Creates the topics, prints {@code READY <bootstrap>} and runs
 * until terminated.
 */
public final class KraftBrokerMain {

    private KraftBrokerMain() {}

    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Path dataDir = Path.of(args.length > 0 ? args[0] : System.getProperty("user.home") + "/.coderun/kafka");
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 9092;
        KraftBroker broker = KraftBroker.start(dataDir, "127.0.0.1", port);
        List<String> created = TopicProvisioner.provision(broker.bootstrapServers(), (short) 1);
        System.out.println("topics created: " + created);
        System.out.println("READY " + broker.bootstrapServers());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "broker-shutdown"));
        stopped.await();
    }
}

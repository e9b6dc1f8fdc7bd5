package dev.coderun.infra.kafka;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Creates coderun's topics on an existing cluster, for compose and Kubernetes (a one-shot container or Job of the
 * {@code coderun/infra} image): {@code TopicsMain [bootstrap-servers] [replication-factor]}, defaulting to the
 * environment's {@code KAFKA_BOOTSTRAP_SERVERS} and {@code CODERUN_TOPIC_REPLICATION_FACTOR} (3). Brokers that are
 * still starting (or too few registered for the replication factor) are retried every 2 s for
 * {@code CODERUN_TOPICS_WAIT_SECONDS} (180); the exit status is 0 once every topic exists, else 1.
 */
public final class TopicsMain {

    private TopicsMain() {}

    public static void main(String[] args) throws InterruptedException {
        String bootstrap = args.length > 0 ? args[0] : env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092");
        short replicationFactor = Short.parseShort(
                args.length > 1 ? args[1] : env("CODERUN_TOPIC_REPLICATION_FACTOR", "3"));
        Instant deadline = Instant.now().plusSeconds(Long.parseLong(env("CODERUN_TOPICS_WAIT_SECONDS", "180")));
        while (true) {
            try {
                List<String> created = TopicProvisioner.provision(bootstrap, replicationFactor);
                System.out.println("topics created on " + bootstrap + " (replication factor " + replicationFactor
                        + "): " + created);
                return;
            } catch (IllegalStateException e) {
                if (Instant.now().isAfter(deadline)) {
                    System.err.println("could not provision topics on " + bootstrap + ": " + e.getCause());
                    System.exit(1);
                }
                System.out.println("waiting for the cluster at " + bootstrap + ": " + e.getCause());
                Thread.sleep(Duration.ofSeconds(2));
            }
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}

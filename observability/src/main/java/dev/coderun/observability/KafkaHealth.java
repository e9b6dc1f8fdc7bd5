package dev.coderun.observability;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.springframework.boot.health.contributor.Health;

/** Health {@code kafka}: UP with the number of brokers when the cluster describes itself within the timeout. */
public final class KafkaHealth {

    private KafkaHealth() {}

    /**
     * An admin client of the health checks' own: {@code config} (at least the bootstrap servers) with
     * {@code clientId}, and request and API timeouts of {@code timeout}, so no call outlives a check.
     */
    public static Admin admin(Map<String, Object> config, String clientId, Duration timeout) {
        Map<String, Object> own = new HashMap<>(config);
        int timeoutMs = (int) timeout.toMillis();
        own.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        own.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        own.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        return Admin.create(own);
    }

    /**
     * A {@link CachedHealthIndicator} asking {@code admin} for the cluster's brokers every {@code interval}; the
     * request gives up after {@code timeout}. The admin client is the caller's to close.
     */
    public static CachedHealthIndicator indicator(Admin admin, Duration interval, Duration timeout) {
        long timeoutMs = timeout.toMillis();
        return new CachedHealthIndicator("kafka", () -> {
            int brokers = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeoutMs))
                    .nodes().get(timeoutMs, TimeUnit.MILLISECONDS).size();
            return Health.up().withDetail("brokers", brokers).build();
        }, interval, timeout);
    }
}

package dev.coderun.gateway.runs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.io.ClassPathResource;

class SendBoundsTest {

    private static final String PRODUCER_PROPERTIES = "spring.kafka.producer.properties.";

    @Test
    void theVerdictBoundIsBlockingPlusDeliveryPlusTheMargin() {
        SendBounds bounds = SendBounds.of(Map.of(
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 2000, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "4000"));

        assertThat(bounds.maxBlock()).isEqualTo(Duration.ofSeconds(2));
        assertThat(bounds.deliveryTimeout()).isEqualTo(Duration.ofSeconds(4));
        assertThat(bounds.verdict()).isEqualTo(Duration.ofSeconds(6).plus(SendBounds.MARGIN));
        assertThat(bounds.afterSendReturned()).isEqualTo(Duration.ofSeconds(4).plus(SendBounds.MARGIN));
    }

    @Test
    void manySendsGetMaxBlockInAllButNeverLessThanTheMargin() {
        assertThat(SendBounds.of(Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2000)).allSends())
                .isEqualTo(Duration.ofSeconds(2));
        // A producer that never blocks still sends a batch: its sends are not refused for taking any time at all.
        assertThat(SendBounds.of(Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 0)).allSends())
                .isEqualTo(SendBounds.MARGIN);
    }

    @Test
    void whatTheConfigurationLeavesUnsetIsKafkasDefault() {
        SendBounds bounds = SendBounds.of(Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1500L));

        assertThat(bounds.maxBlock()).isEqualTo(Duration.ofMillis(1500));
        assertThat(bounds.deliveryTimeout()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void theGatewaysProducerAnswersWithinAFewSeconds() throws IOException {
        Map<String, Object> producer = producerProperties();

        SendBounds bounds = SendBounds.of(producer);

        assertThat(bounds.verdict()).isLessThanOrEqualTo(Duration.ofSeconds(8));
        // Kafka refuses to start a producer whose delivery timeout cannot cover one request after lingering.
        long linger = Long.parseLong(producer.get(ProducerConfig.LINGER_MS_CONFIG).toString());
        long request = Long.parseLong(producer.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG).toString());
        assertThat(bounds.deliveryTimeout().toMillis()).isGreaterThanOrEqualTo(linger + request);
    }

    /** {@code spring.kafka.producer.properties.*} from the gateway's application.yaml, every document merged. */
    private static Map<String, Object> producerProperties() throws IOException {
        Map<String, Object> found = new HashMap<>();
        var yaml = new YamlPropertySourceLoader().load("application", new ClassPathResource("application.yaml"));
        for (var source : yaml) {
            for (String name : ((EnumerablePropertySource<?>) source).getPropertyNames()) {
                if (name.startsWith(PRODUCER_PROPERTIES)) {
                    found.put(name.substring(PRODUCER_PROPERTIES.length()), source.getProperty(name).toString());
                }
            }
        }
        return found;
    }
}

package dev.coderun.worker;

import dev.coderun.events.SecretKeyRing;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** What every feature of the worker shares: the clock, the one Kafka producer and the secrets key ring. */
@Configuration(proxyBeanMethods = false)
class WorkerConfiguration {

    /** Small enough not to delay a status event noticeably, large enough to batch a burst of output chunks. */
    private static final int LINGER_MS = 2;

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    /** Opens each run's sealed secrets; without a usable ring the worker refuses to start, saying why. */
    @Bean
    SecretKeyRing secretKeyRing(SecretsProperties properties) {
        try {
            return SecretKeyRing.of(properties.keys(), properties.currentKey());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("a run's secrets are opened with coderun.secrets.keys: " + e.getMessage());
        }
    }

    /** Thread-safe; shared by every run and the heartbeat. Values are {@code MessageSerde} bytes. */
    @Bean(destroyMethod = "close")
    Producer<String, byte[]> kafkaProducer(WorkerProperties properties) {
        Map<String, Object> config = new HashMap<>(KafkaLimits.producer());
        config.putAll(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, properties.bootstrapServers(),
                ProducerConfig.CLIENT_ID_CONFIG, "coderun-worker-" + properties.id(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, LINGER_MS));
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    /** The producer's client metrics ({@code kafka.producer.*}) on the worker's meter registry. */
    @Bean(destroyMethod = "close")
    KafkaClientMetrics kafkaProducerMetrics(Producer<String, byte[]> kafkaProducer) {
        return new KafkaClientMetrics(kafkaProducer);
    }
}

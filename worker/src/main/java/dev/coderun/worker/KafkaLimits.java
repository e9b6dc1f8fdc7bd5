package dev.coderun.worker;

import dev.coderun.events.Topics;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The size settings every Kafka client of the worker carries, so that the contract's largest message (a dispatch with
 * a 2 MiB request and its runtime) passes: all follow {@link Topics#MAX_REQUEST_BYTES}.
 */
public final class KafkaLimits {

    private KafkaLimits() {}

    /** For the producer: a request may carry one largest message. */
    public static Map<String, Object> producer() {
        return Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_REQUEST_BYTES);
    }

    /** For a consumer: one fetch, per partition and in all, may return one largest message. */
    public static Map<String, Object> consumer() {
        return Map.of(
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                Math.max(ConsumerConfig.DEFAULT_MAX_PARTITION_FETCH_BYTES, Topics.MAX_REQUEST_BYTES),
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG,
                Math.max(ConsumerConfig.DEFAULT_FETCH_MAX_BYTES, Topics.MAX_REQUEST_BYTES));
    }
}

package dev.coderun.gateway.runs;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * How long the producer may take to say whether a command is durable, read from its own configuration: its send
 * blocks (metadata, buffer space) for at most {@code max.block.ms}, and then reports success or failure within
 * {@code delivery.timeout.ms}. The publisher waits that long plus a margin, so its answer is always the producer's
 * verdict and never a guess while a send may still succeed.
 */
record SendBounds(Duration maxBlock, Duration deliveryTimeout) {

    /** Headroom over the producer's bounds for callbacks and scheduling. */
    static final Duration MARGIN = Duration.ofSeconds(1);

    /** The bounds of a producer configured with {@code producerConfig} (Kafka's defaults for what it leaves unset). */
    static SendBounds of(Map<String, Object> producerConfig) {
        return new SendBounds(
                millis(producerConfig, ProducerConfig.MAX_BLOCK_MS_CONFIG),
                millis(producerConfig, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
    }

    /** From the start of a send to the producer's verdict, at most. */
    Duration verdict() {
        return maxBlock.plus(deliveryTimeout).plus(MARGIN);
    }

    /**
     * How long the sends of many commands may take in all before the rest are refused unsent: {@code max.block.ms},
     * which one blocked send may take, but at least {@link #MARGIN}, so a producer that never blocks
     * ({@code max.block.ms} 0) still sends them.
     */
    Duration allSends() {
        return maxBlock.compareTo(MARGIN) < 0 ? MARGIN : maxBlock;
    }

    /** From the moment {@code send()} returned (it blocked at most {@code max.block.ms}) to the verdict, at most. */
    Duration afterSendReturned() {
        return deliveryTimeout.plus(MARGIN);
    }

    private static Duration millis(Map<String, Object> config, String name) {
        ConfigDef.ConfigKey key = ProducerConfig.configDef().configKeys().get(name);
        Object value = config.getOrDefault(name, key.defaultValue);
        return Duration.ofMillis(((Number) ConfigDef.parseType(name, value, key.type)).longValue());
    }
}

package dev.coderun.gateway.limits;

import static dev.coderun.gateway.GatewayFixtures.defaultLimits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.events.Topics;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.springframework.http.codec.AbstractJacksonDecoder;
import org.springframework.http.codec.DecoderHttpMessageReader;
import org.springframework.http.codec.ServerCodecConfigurer;
import org.springframework.util.unit.DataSize;

class SizeBoundsTest {

    @Test
    void theProducerTakesOneLargestMessage() {
        assertThat(SizeBounds.producerBounds())
                .containsEntry(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_REQUEST_BYTES);
    }

    @Test
    void theDefaultPartitionFetchIsRaisedToTheLargestBatchAndTheLargerTotalFetchIsKept() {
        Map<String, Object> raised = SizeBounds.consumerBounds(Map.of());

        assertThat(raised).containsEntry(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_REQUEST_BYTES)
                .doesNotContainKey(ConsumerConfig.FETCH_MAX_BYTES_CONFIG);
        assertThat(ConsumerConfig.DEFAULT_FETCH_MAX_BYTES).isGreaterThanOrEqualTo(Topics.MAX_REQUEST_BYTES);
    }

    @Test
    void configuredFetchSizesBelowTheBoundAreRaisedAndThoseAboveItKept() {
        Map<String, Object> raised = SizeBounds.consumerBounds(Map.of(
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, "1048576",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024 * 1024));

        assertThat(raised).containsExactly(Map.entry(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MAX_REQUEST_BYTES));
    }

    @Test
    void theBodyLimitIsTheOneInForceOnTheCodecs() {
        ServerCodecConfigurer codecs = ServerCodecConfigurer.create();
        codecs.defaultCodecs().maxInMemorySize(64 * 1024 * 1024);

        new SizeBounds.BodyLimit(Topics.MAX_RUN_REQUEST_BYTES).customize(codecs);

        assertThat(codecs.getReaders())
                .filteredOn(DecoderHttpMessageReader.class::isInstance)
                .extracting(reader -> ((DecoderHttpMessageReader<?>) reader).getDecoder())
                .filteredOn(AbstractJacksonDecoder.class::isInstance)
                .isNotEmpty()
                .allSatisfy(json -> assertThat(((AbstractJacksonDecoder<?>) json).getMaxInMemorySize())
                        .isEqualTo(Topics.MAX_RUN_REQUEST_BYTES));
        assertThat(defaultLimits().maxRunRequestBytes()).isEqualTo(Topics.MAX_RUN_REQUEST_BYTES);
    }

    @Test
    void springsBodyLimitMayBeLeftUnsetOrAgree() {
        assertThatCode(() -> SizeBounds.checkCodecsLimit(null, defaultLimits())).doesNotThrowAnyException();
        assertThatCode(() -> SizeBounds.checkCodecsLimit(DataSize.ofMegabytes(2), defaultLimits()))
                .doesNotThrowAnyException();
    }

    @Test
    void springsBodyLimitAboveTheContractRefusesToStartNamingBothSettings() {
        assertThatThrownBy(() -> SizeBounds.checkCodecsLimit(DataSize.ofMegabytes(10), defaultLimits()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(SizeBounds.CODECS_LIMIT)
                .hasMessageContaining("coderun.limits.max-run-request-bytes")
                .hasMessageContaining(String.valueOf(Topics.MAX_RUN_REQUEST_BYTES));
    }
}

package dev.coderun.gateway.runs;

import static dev.coderun.gateway.GatewayFixtures.NOW;
import static dev.coderun.gateway.GatewayFixtures.aRuntimeSnapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.coderun.events.CancelRun;
import dev.coderun.events.RunSpec;
import dev.coderun.events.SubmitRun;
import dev.coderun.events.Topics;
import dev.coderun.gateway.api.ApiException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;

/** The publisher's refusals, against a producer whose broker is not there (nothing listens on the port). */
class KafkaCommandPublisherTest {

    private static final String RUN = "019a1b2c-3d4e-7f00-8a00-000000000001";

    private final DefaultKafkaProducerFactory<String, byte[]> producers = new DefaultKafkaProducerFactory<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1",
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
            ProducerConfig.MAX_BLOCK_MS_CONFIG, 300,
            ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 300,
            ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600));
    private final KafkaCommandPublisher publisher = new KafkaCommandPublisher(new KafkaTemplate<>(producers),
            dev.coderun.observability.KafkaTracing.off());

    @AfterEach
    void closeTheProducer() {
        producers.destroy();
    }

    @Test
    void aCommandTheLogCannotTakeIsUpstreamUnavailableOnceTheProducerSaysSo() {
        ApiException error = catchThrowableOfType(ApiException.class,
                () -> publisher.publish(new CancelRun("alice", RUN, "user:alice", NOW)).block(Duration.ofSeconds(10)));

        assertThat(error.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(error.code()).isEqualTo("upstream_unavailable");
    }

    @Test
    void manyCommandsWhoseSendsBlockAreAllRefusedWithinOneSendsBoundNotOneBoundEach() {
        // Each send() here blocks for max.block.ms (300 ms) waiting for metadata: 50 of them one after the other
        // would take 15 s; the publisher stops sending after SendBounds.allSends() (here its 1 s floor) and refuses
        // the rest unsent.
        List<SubmitRun> submits = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            submits.add(new SubmitRun(new RunSpec(RunIds.next(NOW.toEpochMilli()).toString(), "alice",
                    aRuntimeSnapshot(), null, "true", List.of(), Map.of(), "", null, 30, 1_048_576, 1, Map.of(),
                    "user:alice", NOW), NOW));
        }

        List<ApiException> answers = publisher.publishAll(submits).block(Duration.ofSeconds(5));

        assertThat(answers).hasSize(50).allSatisfy(error -> {
            assertThat(error.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
            assertThat(error.code()).isEqualTo("upstream_unavailable");
        });
    }

    @Test
    void aCommandLargerThanTheContractsMessageBoundIsPayloadTooLargeAndNotSent() {
        String stdin = "x".repeat(Topics.MAX_MESSAGE_BYTES);
        RunSpec spec = new RunSpec(RUN, "alice", aRuntimeSnapshot(), null, "cat", List.of(), Map.of(), stdin, null,
                30, 1_048_576, 1, Map.of(), "user:alice", NOW);

        ApiException error = catchThrowableOfType(ApiException.class,
                () -> publisher.publish(new SubmitRun(spec, NOW)).block(Duration.ofSeconds(10)));

        assertThat(error.status()).isEqualTo(HttpStatus.CONTENT_TOO_LARGE);
        assertThat(error.code()).isEqualTo("payload_too_large");
    }
}

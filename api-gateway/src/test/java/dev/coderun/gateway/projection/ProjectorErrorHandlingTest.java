package dev.coderun.gateway.projection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.kafka.mock.MockProducerFactory;

/** The projector's error handler as its containers call it, publishing dead letters to an in-memory producer. */
class ProjectorErrorHandlingTest {

    /** The defaults' shape with millisecond waits, so a test takes no time. */
    private static final ProjectorProperties FAST =
            new ProjectorProperties(Duration.ofMillis(1), Duration.ofMillis(2), 3, Duration.ofMillis(1),
                    Duration.ofSeconds(10));

    private final MockProducer<String, byte[]> producer =
            new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    private final DefaultErrorHandler handler = new ProjectorErrorHandling()
            .projectorErrorHandler(new KafkaTemplate<>(new MockProducerFactory<>(() -> producer)), FAST);

    @Test
    void aRecordIsNeverGivenUpWhileTheReadModelIsUnavailable() {
        ConsumerRecord<String, byte[]> record = aRecord();
        Exception failure = fromListener(new DataAccessResourceFailureException("Failed to obtain R2DBC Connection"));

        for (int attempt = 1; attempt <= 200; attempt++) {
            assertThat(handler.handleOne(failure, record, null, null)).as("recovered on try %d", attempt).isFalse();
        }
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void anyOtherFailureIsRetriedThenDeadLetteredWithTheRecordsBytesAndWhereAndWhy() {
        ConsumerRecord<String, byte[]> record = aRecord();
        record.headers().add(new RecordHeader("traceparent", "00-abc-def-01".getBytes(StandardCharsets.UTF_8)));
        Exception failure = fromListener(new IllegalArgumentException("Invalid UUID string: nope"));

        for (int retry = 1; retry <= FAST.retries(); retry++) {
            assertThat(handler.handleOne(failure, record, null, null)).isFalse();
        }
        assertThat(handler.handleOne(failure, record, null, null)).isTrue();

        assertThat(producer.history()).singleElement().satisfies(dead -> {
            assertThat(dead.topic()).isEqualTo(Topics.DEAD_LETTER);
            assertThat(dead.key()).isEqualTo(record.key());
            assertThat(dead.value()).isEqualTo(record.value());
            assertThat(header(dead, Topics.HEADER_DLQ_SOURCE)).isEqualTo(Topics.EVENTS + "-4@1234");
            assertThat(header(dead, Topics.HEADER_DLQ_REASON)).startsWith("other: ").contains("Invalid UUID string");
            assertThat(header(dead, "traceparent")).isEqualTo("00-abc-def-01");
            assertThat(Arrays.stream(dead.headers().toArray()).map(Header::key))
                    .noneMatch(key -> key.startsWith("kafka_dlt"));
        });
    }

    @Test
    void anUnreadableRecordIsDeadLetteredAtOnce() {
        Exception failure = fromListener(new UnreadableRecordException("unknown message type 'RunPaused'", null));

        assertThat(handler.handleOne(failure, aRecord(), null, null)).isTrue();

        assertThat(producer.history()).singleElement()
                .satisfies(dead -> assertThat(header(dead, Topics.HEADER_DLQ_REASON)).startsWith("unreadable: "));
    }

    @Test
    void aFailureThatChangesKindGetsTheBackOffOfTheNewKind() {
        ConsumerRecord<String, byte[]> record = aRecord();
        Exception unavailable = fromListener(new DataAccessResourceFailureException("connection refused"));
        Exception other = fromListener(new IllegalStateException("boom"));

        for (int attempt = 1; attempt <= 10; attempt++) {
            assertThat(handler.handleOne(unavailable, record, null, null)).isFalse();
        }
        for (int retry = 1; retry <= FAST.retries(); retry++) {
            assertThat(handler.handleOne(other, record, null, null)).isFalse();
        }
        assertThat(handler.handleOne(other, record, null, null)).isTrue();
        assertThat(producer.history()).hasSize(1);
    }

    private static ConsumerRecord<String, byte[]> aRecord() {
        return new ConsumerRecord<>(Topics.EVENTS, 4, 1234, "alice",
                "{\"type\":\"RunQueued\",\"version\":1}".getBytes(StandardCharsets.UTF_8));
    }

    private static Exception fromListener(Exception cause) {
        return new ListenerExecutionFailedException("Listener method threw", "run-events-projector", cause);
    }

    private static String header(ProducerRecord<String, byte[]> record, String key) {
        Header header = record.headers().lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}

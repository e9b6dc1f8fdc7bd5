package dev.coderun.gateway.projection;

import dev.coderun.events.Topics;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.KafkaException;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.RetryListener;

/**
 * What the projector's listener containers do with a record they could not apply ({@link ProjectionFailure} decides
 * which case it is). The container seeks back to the record and tries again after the back-off, so the record's
 * partition waits behind it and nothing after it is applied first; its offset is committed only once it applied or
 * went to {@link Topics#DEAD_LETTER}. A dead-lettered record keeps its key and value bytes and the record's own
 * headers, plus {@link Topics#HEADER_DLQ_REASON} and {@link Topics#HEADER_DLQ_SOURCE} ({@code topic-partition@offset}).
 */
@Configuration(proxyBeanMethods = false)
class ProjectorErrorHandling {

    private static final Logger log = LoggerFactory.getLogger(ProjectorErrorHandling.class);

    @Bean
    DefaultErrorHandler projectorErrorHandler(KafkaTemplate<String, byte[]> kafka, ProjectorProperties properties) {
        // The producer picks the dead-letter partition by key; the source partition may not exist there.
        DeadLetterPublishingRecoverer deadLetters = new DeadLetterPublishingRecoverer(
                kafka, (record, failure) -> new TopicPartition(Topics.DEAD_LETTER, -1));
        deadLetters.setVerifyPartition(false);
        // Spring's own headers would add a stack trace to every record; ours say what a reader needs.
        deadLetters.excludeHeader(DeadLetterPublishingRecoverer.HeaderNames.HeadersToAdd.values());
        deadLetters.setHeadersFunction((record, failure) -> new RecordHeaders()
                .add(Topics.HEADER_DLQ_REASON, bytes(ProjectionFailure.reason(failure)))
                .add(Topics.HEADER_DLQ_SOURCE, bytes(source(record))));

        DefaultErrorHandler handler = new DefaultErrorHandler(deadLetters, ProjectionFailure.OTHER.backOff(properties));
        handler.setBackOffFunction((record, failure) -> ProjectionFailure.of(failure).backOff(properties));
        handler.setRetryListeners(new Logging());
        // Each retry is logged once by the listener below, not with a stack trace per seek.
        handler.setLogLevel(KafkaException.Level.DEBUG);
        return handler;
    }

    static String source(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** One line per failed try, and an error when a record is given up on. */
    private static final class Logging implements RetryListener {

        @Override
        public void failedDelivery(ConsumerRecord<?, ?> record, Exception failure, int attempt) {
            log.warn("projector: {} not applied (try {}): {}", source(record), attempt,
                    ProjectionFailure.reason(failure));
        }

        @Override
        public void recovered(ConsumerRecord<?, ?> record, Exception failure) {
            log.error("projector: {} sent to {} and skipped: {}", source(record), Topics.DEAD_LETTER,
                    ProjectionFailure.reason(failure));
        }

        @Override
        public void recoveryFailed(ConsumerRecord<?, ?> record, Exception original, Exception failure) {
            log.warn("projector: {} could not be dead-lettered, it will be tried again: {}", source(record),
                    failure.toString());
        }
    }
}

package dev.coderun.gateway.fleet;

import dev.coderun.events.FleetDirective;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.Topics;
import dev.coderun.gateway.api.ApiException;
import java.time.Duration;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Puts a {@link FleetDirective} on {@link Topics#CONTROL}, key = worker id, and completes once Kafka has it (acks=all).
 * Every worker reads the whole control topic and applies the directives that name it.
 */
@Component
class KafkaFleetDirectives {

    private static final Logger log = LoggerFactory.getLogger(KafkaFleetDirectives.class);
    /** Beyond the producer's own bounds (max.block.ms + delivery.timeout.ms, 6 s in application.yaml). */
    private static final Duration GIVE_UP_AFTER = Duration.ofSeconds(10);

    private final KafkaTemplate<String, byte[]> kafka;

    KafkaFleetDirectives(KafkaTemplate<String, byte[]> kafka) {
        this.kafka = kafka;
    }

    Mono<Void> publish(FleetDirective directive) {
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(Topics.CONTROL, directive.workerId(), MessageSerde.toBytes(directive));
        // send() may block for max.block.ms: keep it off the event loop.
        return Mono.defer(() -> Mono.fromFuture(kafka.send(record)))
                .subscribeOn(Schedulers.boundedElastic())
                .timeout(GIVE_UP_AFTER)
                .then()
                .onErrorMap(e -> !(e instanceof ApiException), e -> {
                    log.warn("{} not accepted by the control topic: {}", directive, e.toString());
                    return ApiException.upstreamUnavailable("the control topic is unavailable; nothing was sent");
                })
                .doOnSuccess(done -> log.info("published {}", directive));
    }
}

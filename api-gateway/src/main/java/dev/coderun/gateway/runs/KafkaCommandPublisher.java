package dev.coderun.gateway.runs;

import dev.coderun.events.MessageSerde;
import dev.coderun.events.RunCommand;
import dev.coderun.events.Topics;
import dev.coderun.gateway.api.ApiException;
import java.time.Duration;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Puts commands on {@link Topics#COMMANDS}, keyed by handle. Completes once the broker has the command durably
 * (acks=all, idempotent producer); a broker that cannot be reached in time is {@code upstream_unavailable}, and then
 * nothing was accepted.
 */
@Component
class KafkaCommandPublisher {

    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(15);

    private final KafkaTemplate<String, byte[]> kafka;

    KafkaCommandPublisher(KafkaTemplate<String, byte[]> kafka) {
        this.kafka = kafka;
    }

    Mono<Void> publish(RunCommand command) {
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(Topics.COMMANDS, command.handle(), MessageSerde.toBytes(command));
        // send() may block on metadata while the broker is away: keep it off the event loop.
        return Mono.defer(() -> Mono.fromFuture(kafka.send(record)))
                .subscribeOn(Schedulers.boundedElastic())
                .timeout(SEND_TIMEOUT)
                .onErrorMap(e -> !(e instanceof ApiException),
                        e -> ApiException.upstreamUnavailable("the command log is unavailable; nothing was accepted"))
                .then();
    }
}

package dev.coderun.gateway.runs;

import dev.coderun.events.MessageSerde;
import dev.coderun.events.RunCommand;
import dev.coderun.events.Topics;
import dev.coderun.gateway.api.ApiException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Puts commands on {@link Topics#COMMANDS}, keyed by handle. Completes once the broker has the command durably
 * (acks=all, idempotent producer). Fails with {@code upstream_unavailable} when the producer reported the send failed,
 * or when no thread could start the send within {@link SendBounds#verdict()}; it never gives up on a send that has
 * started, because the producer answers within its own bounds ({@link SendBounds}; a guard at that bound only covers
 * a producer that overran it). A command larger than {@link Topics#MAX_MESSAGE_BYTES} is {@code payload_too_large} and
 * is not sent.
 */
@Component
class KafkaCommandPublisher {

    private static final Logger log = LoggerFactory.getLogger(KafkaCommandPublisher.class);

    private final KafkaTemplate<String, byte[]> kafka;
    private final SendBounds bounds;

    KafkaCommandPublisher(KafkaTemplate<String, byte[]> kafka) {
        this.kafka = kafka;
        this.bounds = SendBounds.of(kafka.getProducerFactory().getConfigurationProperties());
        log.info("a command is durable or refused within {} of its send starting (max.block.ms {} + delivery.timeout.ms"
                + " {} + {})", bounds.verdict(), bounds.maxBlock(), bounds.deliveryTimeout(), SendBounds.MARGIN);
    }

    Mono<Void> publish(RunCommand command) {
        byte[] bytes = MessageSerde.toBytes(command);
        if (bytes.length > Topics.MAX_MESSAGE_BYTES) {
            throw tooLarge(command);
        }
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.COMMANDS, command.handle(), bytes);
        // Whichever comes first claims the send: the worker thread starting it, or the deadline giving up on a send
        // still waiting for a thread. Once started, only the producer's verdict answers.
        AtomicBoolean claimed = new AtomicBoolean();
        // send() blocks for at most max.block.ms (metadata, buffer space): keep it off the event loop.
        Mono<Void> send = Mono.defer(() -> claimed.compareAndSet(false, true)
                        ? Mono.fromFuture(kafka.send(record)).timeout(bounds.afterSendReturned()).then()
                        : Mono.<Void>never())
                .subscribeOn(Schedulers.boundedElastic());
        Mono<Void> neverStarted = Mono.delay(bounds.verdict())
                .flatMap(tick -> claimed.compareAndSet(false, true)
                        ? Mono.<Void>error(new IllegalStateException("no thread started the send in time"))
                        : Mono.<Void>never());
        return Mono.firstWithSignal(send, neverStarted).onErrorMap(e -> !(e instanceof ApiException), e -> {
            if (causedBy(e, RecordTooLargeException.class)) {
                return tooLarge(command);
            }
            log.warn("run {}: {} not accepted by the command log: {}", command.runId(),
                    command.getClass().getSimpleName(), rootCause(e).toString());
            return ApiException.upstreamUnavailable("the command log is unavailable; nothing was accepted");
        });
    }

    private static ApiException tooLarge(RunCommand command) {
        return ApiException.payloadTooLarge("the " + command.getClass().getSimpleName()
                + " is larger than the command log takes (" + Topics.MAX_MESSAGE_BYTES + " bytes)");
    }

    private static Throwable rootCause(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    private static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}

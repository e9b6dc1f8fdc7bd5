package dev.coderun.gateway.runs;

import dev.coderun.events.MessageSerde;
import dev.coderun.events.RunCommand;
import dev.coderun.events.Topics;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.observability.KafkaTracing;
import io.micrometer.tracing.Span;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
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

    private static final String UPSTREAM_TIMEOUT = "upstream_timeout";

    /** Marks a command the broker acknowledged. */
    private static final Object DURABLE = new Object();

    private final KafkaTemplate<String, byte[]> kafka;
    private final SendBounds bounds;
    private final KafkaTracing tracing;

    KafkaCommandPublisher(KafkaTemplate<String, byte[]> kafka, KafkaTracing tracing) {
        this.kafka = kafka;
        this.tracing = tracing;
        this.bounds = SendBounds.of(kafka.getProducerFactory().getConfigurationProperties());
        log.info("a command is durable or refused within {} of its send starting (max.block.ms {} + delivery.timeout.ms"
                + " {} + {})", bounds.verdict(), bounds.maxBlock(), bounds.deliveryTimeout(), SendBounds.MARGIN);
    }

    Mono<Void> publish(RunCommand command) {
        return publish(command, Span.NOOP);
    }

    /**
     * {@link #publish(RunCommand)} in the started span {@code span}: the record carries the span's trace context, and
     * the span ends with the answer.
     */
    Mono<Void> publish(RunCommand command, Span span) {
        byte[] bytes = MessageSerde.toBytes(command);
        if (bytes.length > Topics.MAX_MESSAGE_BYTES) {
            span.tag("outcome", "payload_too_large").end();
            throw tooLarge(command);
        }
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.COMMANDS, command.handle(), bytes);
        tracing.inject(span, record.headers());
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
        return Mono.firstWithSignal(send, neverStarted)
                .doOnError(span::error)
                .doFinally(signal -> span.end())
                .onErrorMap(e -> !(e instanceof ApiException), e -> {
                    if (causedBy(e, RecordTooLargeException.class)) {
                        return tooLarge(command);
                    }
                    log.warn("run {}: {} not accepted by the command log: {}", command.runId(),
                            command.getClass().getSimpleName(), rootCause(e).toString());
                    return ApiException.upstreamUnavailable("the command log is unavailable; nothing was accepted");
                });
    }

    /**
     * Sends every command without waiting for one before the next, then waits for all of them: the answer lists, in
     * order, {@code null} for a command durable in Kafka and the error the single {@link #publish} would have given for
     * one that is not. The same bounds hold as for one command: the sends start within {@link SendBounds#verdict()} or
     * none is made, and once started only the producer's verdicts answer. The sends themselves take at most
     * {@link SendBounds#allSends()} in all; a command not sent by then is refused without being sent. A command the
     * producer took into its buffer and then timed out on is not refused but {@link #unconfirmed}: it may yet land.
     */
    Mono<List<ApiException>> publishAll(List<? extends RunCommand> commands) {
        return publishAll(commands, java.util.Collections.nCopies(commands.size(), Span.NOOP));
    }

    /**
     * {@link #publishAll(List)}, command {@code i} in the started span {@code spans.get(i)}: its record carries the
     * span's trace context, and the span ends with the producer's verdict on it.
     */
    Mono<List<ApiException>> publishAll(List<? extends RunCommand> commands, List<Span> spans) {
        int n = commands.size();
        AtomicReferenceArray<Object> outcomes = new AtomicReferenceArray<>(n);
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            RunCommand command = commands.get(i);
            byte[] bytes = MessageSerde.toBytes(command);
            if (bytes.length > Topics.MAX_MESSAGE_BYTES) {
                outcomes.set(i, tooLarge(command));
                records.add(null);
                spans.get(i).tag("outcome", "payload_too_large").end();
            } else {
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.COMMANDS, command.handle(), bytes);
                tracing.inject(spans.get(i), record.headers());
                records.add(record);
            }
        }
        // 1 for a command whose send reached the producer's buffer.
        AtomicIntegerArray enqueued = new AtomicIntegerArray(n);
        AtomicBoolean claimed = new AtomicBoolean();
        Mono<Void> send = Mono.defer(() -> {
                    if (!claimed.compareAndSet(false, true)) {
                        return Mono.<Void>never();
                    }
                    List<CompletableFuture<?>> pending = new ArrayList<>(n);
                    // Each send() may block for max.block.ms (no metadata, no buffer space): past allSends() in all,
                    // the commands not sent yet are refused unsent, so a thousand blocked sends do not add up.
                    long sendsEnd = System.nanoTime() + bounds.allSends().toNanos();
                    for (int i = 0; i < n; i++) {
                        if (records.get(i) == null) {
                            continue;
                        }
                        int index = i;
                        CompletableFuture<?> sent;
                        if (System.nanoTime() - sendsEnd > 0) {
                            sent = CompletableFuture.failedFuture(new TimeoutException(
                                    "the producer took too long to take the commands before this one"));
                        } else {
                            try {
                                sent = kafka.send(records.get(i));
                                // Failed before send() returned (no metadata within max.block.ms, a closed producer):
                                // it never reached the producer's buffer, so that refusal is certain.
                                enqueued.set(i, sent.isCompletedExceptionally() ? 0 : 1);
                            } catch (RuntimeException e) {
                                sent = CompletableFuture.failedFuture(e);
                            }
                        }
                        pending.add(sent.handle((result, failure) -> {
                            outcomes.compareAndSet(index, null, failure == null ? DURABLE : failure);
                            if (failure != null) {
                                spans.get(index).error(failure);
                            }
                            spans.get(index).end();
                            return null;
                        }));
                    }
                    return Mono.fromFuture(CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)))
                            .timeout(bounds.afterSendReturned())
                            .onErrorComplete()
                            .then();
                })
                .subscribeOn(Schedulers.boundedElastic());
        Mono<Void> neverStarted = Mono.delay(bounds.verdict())
                .flatMap(tick -> claimed.compareAndSet(false, true) ? Mono.<Void>empty() : Mono.<Void>never());
        return Mono.firstWithSignal(send, neverStarted).then(Mono.fromSupplier(() -> {
            List<ApiException> answer = new ArrayList<>(n);
            int failed = 0;
            Throwable firstFailure = null;
            for (int i = 0; i < n; i++) {
                Object outcome = outcomes.get(i);
                ApiException verdict = verdict(commands.get(i), outcome, enqueued.get(i) == 1);
                answer.add(verdict);
                if (verdict != null && verdict.status() != HttpStatus.CONTENT_TOO_LARGE) {
                    failed++;
                    firstFailure = firstFailure != null ? firstFailure
                            : outcome instanceof Throwable failure ? rootCause(failure)
                            : new IllegalStateException("no verdict from the producer in time");
                }
            }
            if (failed > 0) {
                log.warn("{} of {} commands not confirmed by the command log: {}", failed, n, firstFailure.toString());
            }
            return answer;
        }));
    }

    /**
     * The answer on one command of {@link #publishAll}: null when it is durable; 413 when it is too large; 504
     * {@link #unconfirmed} when the producer took it ({@code enqueued}) and then timed out on it or gave no verdict in
     * time; 503 {@code upstream_unavailable} when it certainly is not in Kafka (never sent, or refused by the broker).
     *
     * @param outcome {@code DURABLE}, an {@link ApiException} decided before sending, the send's failure, or null for
     *     no verdict within the bound (a producer overrunning its own timeouts)
     */
    static ApiException verdict(RunCommand command, Object outcome, boolean enqueued) {
        if (outcome == DURABLE) {
            return null;
        }
        if (outcome instanceof ApiException decided) {
            return decided;
        }
        if (outcome instanceof Throwable failure && causedBy(failure, RecordTooLargeException.class)) {
            return tooLarge(command);
        }
        if (enqueued && (outcome == null
                || causedBy((Throwable) outcome, org.apache.kafka.common.errors.TimeoutException.class))) {
            return unconfirmed(command);
        }
        return ApiException.upstreamUnavailable("the command log is unavailable; this run was not accepted");
    }

    /** What {@link #verdict} is given for a command the broker acknowledged. */
    static Object durable() {
        return DURABLE;
    }

    /**
     * 504 {@code upstream_timeout} for a command the producer took but gave up on, its time
     * ({@code delivery.timeout.ms}) spent without the broker's answer. It may have reached the broker all the same: a
     * frozen or overloaded broker still reads the requests in its socket once it goes on, and one that crashed may have
     * written it first. So it is not refused: the answer names the run, whose record appears if the command lands.
     */
    static ApiException unconfirmed(RunCommand command) {
        return ApiException.withExtra(HttpStatus.GATEWAY_TIMEOUT, UPSTREAM_TIMEOUT,
                "the command log did not confirm run " + command.runId()
                        + " in time; it may still have been accepted: look it up before submitting it again",
                new UnconfirmedRun(command.runId()));
    }

    /** Whether {@code error} is {@link #unconfirmed}'s: the run may yet be accepted, so its claims stand. */
    static boolean isUnconfirmed(ApiException error) {
        return UPSTREAM_TIMEOUT.equals(error.code());
    }

    /** The run an {@link #unconfirmed} answer names ({@code error.run.id}). */
    record UnconfirmedRun(String id) {}

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

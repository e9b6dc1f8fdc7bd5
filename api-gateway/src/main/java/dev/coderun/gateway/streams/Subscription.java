package dev.coderun.gateway.streams;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * One subscriber's bounded buffer between the hub's consumer thread and the subscriber. The hub {@link #offer}s
 * records without ever blocking; records wait here until the subscriber requests them. When {@code bound} records
 * are already waiting the subscriber is too slow: the buffer stops taking records, and {@link #records()} ends, once
 * the waiting ones are delivered, with {@link Overflow}. A subscriber therefore never costs the gateway more than
 * {@code bound} records. {@link #close()} unregisters it from the hub; it is idempotent.
 */
public final class Subscription implements AutoCloseable {

    private final Sinks.Many<HubRecord> sink;
    private final int bound;
    private final Runnable unregister;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean overflowed;

    Subscription(int bound, Runnable unregister) {
        this.bound = bound;
        this.unregister = unregister;
        this.sink = Sinks.many().unicast().onBackpressureBuffer(new ArrayBlockingQueue<>(bound));
    }

    /**
     * Hands a record to the subscriber. Called from one thread (the hub's). Returns false when the subscriber is gone
     * or has just overflowed; it is then closed.
     */
    boolean offer(HubRecord record) {
        if (closed.get()) {
            return false;
        }
        Sinks.EmitResult result = sink.tryEmitNext(record);
        if (result.isSuccess()) {
            return true;
        }
        // A full buffer reads as FAIL_ZERO_SUBSCRIBER while the subscriber has not subscribed yet (a stream still
        // replaying or reading history), as FAIL_OVERFLOW once it has.
        if (result == Sinks.EmitResult.FAIL_OVERFLOW || result == Sinks.EmitResult.FAIL_ZERO_SUBSCRIBER) {
            overflowed = true;
            sink.tryEmitError(new Overflow(bound));
        }
        close();
        return false;
    }

    /** The records, in the order the hub read them; subscribe once. Ends with {@link Overflow} after an overflow. */
    public Flux<HubRecord> records() {
        return sink.asFlux();
    }

    public boolean overflowed() {
        return overflowed;
    }

    /** Ends the records with {@code error} (after the waiting ones) and unregisters. */
    void fail(Disconnected error) {
        if (closed.compareAndSet(false, true)) {
            unregister.run();
            sink.tryEmitError(error);
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            unregister.run();
            if (!overflowed) {
                sink.tryEmitComplete();
            }
        }
    }

    /** Why the hub let go of a subscriber; {@code event} names the final SSE event that tells the client. */
    public static class Disconnected extends RuntimeException {
        private final String event;

        public Disconnected(String event, String message) {
            super(message, null, false, false);
            this.event = event;
        }

        public String event() {
            return event;
        }
    }

    /** The subscriber fell {@code bound} records behind and was disconnected. */
    public static final class Overflow extends Disconnected {
        public Overflow(int bound) {
            super("overflow", "the subscriber fell more than " + bound + " records behind and was disconnected;"
                    + " reconnect (with Last-Event-ID where the stream supports it) to continue");
        }
    }
}

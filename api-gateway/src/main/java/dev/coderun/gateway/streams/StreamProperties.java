package dev.coderun.gateway.streams;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The live event hub and the SSE routes ({@code coderun.streams.*}).
 *
 * @param subscriberBuffer records one subscriber may have waiting to be sent; a subscriber further behind is
 *     disconnected with an {@code overflow} event, so a slow client holds at most this many records in the gateway
 * @param keepAlive how often an idle stream gets an SSE comment, so proxies and clients keep the connection open
 * @param terminalOutputGrace how long a run's stream waits, after its terminal transition, for output chunks the
 *     worker published but the hub has not yet read (the events and output topics are not ordered with each other)
 * @param pollTimeout the hub consumer's poll timeout; it bounds how quickly the hub notices a shutdown
 * @param replayTimeout how long a resume may wait for the broker while it replays missed events
 */
@ConfigurationProperties("coderun.streams")
public record StreamProperties(
        @DefaultValue("1024") int subscriberBuffer,
        @DefaultValue("15s") Duration keepAlive,
        @DefaultValue("5s") Duration terminalOutputGrace,
        @DefaultValue("200ms") Duration pollTimeout,
        @DefaultValue("10s") Duration replayTimeout) {

    public StreamProperties {
        if (subscriberBuffer < 1) {
            throw new IllegalArgumentException("coderun.streams.subscriber-buffer must be at least 1");
        }
        for (Duration d : new Duration[] {keepAlive, terminalOutputGrace, pollTimeout, replayTimeout}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("coderun.streams durations must be positive");
            }
        }
    }
}

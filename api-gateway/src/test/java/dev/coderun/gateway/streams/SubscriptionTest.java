package dev.coderun.gateway.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.events.RunQueued;
import dev.coderun.events.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.BaseSubscriber;

class SubscriptionTest {

    private static HubRecord record(long offset) {
        return new HubRecord(Topics.EVENTS, 0, offset, new RunQueued("alice", "run-" + offset, 1, 0, Instant.EPOCH));
    }

    @Test
    void recordsWaitForTheSubscriberUpToTheBoundInOrder() {
        Subscription subscription = new Subscription(3, () -> { });

        assertThat(subscription.offer(record(1))).isTrue();
        assertThat(subscription.offer(record(2))).isTrue();
        assertThat(subscription.offer(record(3))).isTrue();
        subscription.close();

        assertThat(subscription.records().map(HubRecord::offset).collectList().block()).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aSubscriberThatFallsBehindPastTheBoundGetsWhatWaitedThenOverflowAndIsUnregistered() {
        AtomicInteger unregistered = new AtomicInteger();
        Subscription subscription = new Subscription(2, unregistered::incrementAndGet);

        subscription.offer(record(1));
        subscription.offer(record(2));
        assertThat(subscription.offer(record(3))).as("the third record finds the buffer full").isFalse();
        assertThat(subscription.offer(record(4))).as("an overflowed subscriber takes nothing more").isFalse();

        List<Long> seen = new ArrayList<>();
        assertThatThrownBy(() -> subscription.records().doOnNext(r -> seen.add(r.offset())).blockLast())
                .isInstanceOf(Subscription.Overflow.class);
        assertThat(seen).containsExactly(1L, 2L);
        assertThat(subscription.overflowed()).isTrue();
        assertThat(unregistered).hasValue(1);
    }

    @Test
    void aSubscriberThatKeepsUpNeverOverflowsHoweverManyRecordsPass() {
        Subscription subscription = new Subscription(2, () -> { });
        List<Long> seen = new ArrayList<>();
        subscription.records().subscribe(new BaseSubscriber<>() {
            @Override
            protected void hookOnNext(HubRecord value) {
                seen.add(value.offset());
            }
        });

        for (long i = 0; i < 1000; i++) {
            assertThat(subscription.offer(record(i))).isTrue();
        }
        assertThat(seen).hasSize(1000);
    }

    @Test
    void closingTwiceUnregistersOnceAndRefusesLaterRecords() {
        AtomicInteger unregistered = new AtomicInteger();
        Subscription subscription = new Subscription(2, unregistered::incrementAndGet);

        subscription.close();
        subscription.close();

        assertThat(unregistered).hasValue(1);
        assertThat(subscription.offer(record(1))).isFalse();
    }
}

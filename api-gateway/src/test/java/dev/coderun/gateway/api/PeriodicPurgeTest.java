package dev.coderun.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

class PeriodicPurgeTest {

    @Test
    void aFailedRoundIsLeftToTheNextAndCloseStopsTheRounds() {
        AtomicInteger rounds = new AtomicInteger();

        PeriodicPurge purge = PeriodicPurge.every(Duration.ofMillis(5), "test rows", () -> rounds.incrementAndGet() == 1
                ? Mono.error(new IllegalStateException("database down"))
                : Mono.just(3L));
        await().atMost(Duration.ofSeconds(10)).until(() -> rounds.get() >= 3);
        purge.close();
        int afterClose = rounds.get();

        await().pollDelay(Duration.ofMillis(50)).atMost(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(rounds.get()).isLessThanOrEqualTo(afterClose + 1));
    }
}

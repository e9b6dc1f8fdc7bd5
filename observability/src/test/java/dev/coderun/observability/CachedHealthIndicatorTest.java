package dev.coderun.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** The last answer of a background check; a check that hangs counts as DOWN while it hangs. */
class CachedHealthIndicatorTest {

    private static final Duration BOUND = Duration.ofSeconds(10);

    @Test
    void answersTheLastCheckAndAFailedCheckIsDownWithItsReason() throws Exception {
        CachedHealthIndicator up = new CachedHealthIndicator("up", () -> Health.up().build(),
                Duration.ofMillis(20), Duration.ofSeconds(1));
        CachedHealthIndicator failing = new CachedHealthIndicator("failing", () -> {
            throw new IllegalStateException("unreachable");
        }, Duration.ofMillis(20), Duration.ofSeconds(1));
        try {
            await().atMost(BOUND).until(() -> up.health().getStatus().equals(Status.UP));
            await().atMost(BOUND).until(() -> "unreachable".equals(failing.health().getDetails().get("reason")));
            assertThat(failing.health().getStatus()).isEqualTo(Status.DOWN);
        } finally {
            up.destroy();
            failing.destroy();
        }
    }

    @Test
    void aCheckThatHangsIsDownWhileItHangs() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CachedHealthIndicator hanging = new CachedHealthIndicator("hanging", () -> {
            release.await();
            return Health.up().build();
        }, Duration.ofMillis(20), Duration.ofMillis(100));
        try {
            await().atMost(BOUND).until(() -> String.valueOf(hanging.health().getDetails().get("reason"))
                    .startsWith("no answer within 100 ms"));
            assertThat(hanging.health().getStatus()).isEqualTo(Status.DOWN);
            release.countDown();
            await().atMost(BOUND).until(() -> hanging.health().getStatus().equals(Status.UP));
        } finally {
            release.countDown();
            hanging.destroy();
        }
    }
}

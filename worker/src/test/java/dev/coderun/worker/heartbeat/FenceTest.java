package dev.coderun.worker.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FenceTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();
    private final Fence fence = new Fence(Duration.ofSeconds(12), 100 * SECOND);

    @Test
    void aWorkerIsFencedOnlyOnceNoHeartbeatWasAcknowledgedForFenceAfter() {
        assertThat(fence.isUp(111 * SECOND)).isFalse();
        assertThat(fence.isUp(112 * SECOND)).isTrue();
        assertThat(fence.silence(112 * SECOND)).isEqualTo(Duration.ofSeconds(12));
    }

    @Test
    void anAcknowledgedHeartbeatLiftsTheFence() {
        fence.acknowledged(113 * SECOND);

        assertThat(fence.isUp(114 * SECOND)).isFalse();
        assertThat(fence.isUp(125 * SECOND)).isTrue();
    }

    @Test
    void aLateAcknowledgementOfAnOlderHeartbeatDoesNotSetTheClockBack() {
        fence.acknowledged(110 * SECOND);
        fence.acknowledged(105 * SECOND);

        assertThat(fence.isUp(121 * SECOND)).isFalse();
    }
}

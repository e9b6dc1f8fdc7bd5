package dev.coderun.worker.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.StopRun;
import dev.coderun.worker.execution.StopCause;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StoppedAttemptsTest {

    private static final Duration REMEMBER_FOR = Duration.ofMinutes(10);
    private final Instant now = Instant.parse("2030-01-01T12:00:00Z");
    private final StoppedAttempts stopped = new StoppedAttempts(REMEMBER_FOR, 3);

    @Test
    void aStoppedAttemptAndEveryEarlierOneAreStoppedButNotALaterOne() {
        assertThat(stopped.record(stop("r", 2, StopRun.CANCELLED), now)).isEqualTo(StopCause.CANCELLED);

        assertThat(stopped.stopOf("r", 1, now)).contains(StopCause.CANCELLED);
        assertThat(stopped.stopOf("r", 2, now)).contains(StopCause.CANCELLED);
        assertThat(stopped.stopOf("r", 3, now)).isEmpty();
        assertThat(stopped.stopOf("other", 1, now)).isEmpty();
    }

    @Test
    void aLeaseExpiryStopsTheAttemptAsLost() {
        assertThat(stopped.record(stop("r", 1, StopRun.LEASE_EXPIRED), now)).isEqualTo(StopCause.LEASE_EXPIRED);

        assertThat(stopped.stopOf("r", 1, now)).contains(StopCause.LEASE_EXPIRED);
    }

    @Test
    void aReasonThisBuildDoesNotKnowStillStopsTheAttemptAsLost() {
        assertThat(stopped.record(stop("r", 1, "evicted"), now)).isEqualTo(StopCause.LEASE_EXPIRED);

        assertThat(stopped.stopOf("r", 1, now)).contains(StopCause.LEASE_EXPIRED);
    }

    @Test
    void theHighestStoppedAttemptIsKept() {
        stopped.record(stop("r", 1, StopRun.LEASE_EXPIRED), now);
        stopped.record(stop("r", 3, StopRun.CANCELLED), now);
        stopped.record(stop("r", 2, StopRun.LEASE_EXPIRED), now);

        assertThat(stopped.stopOf("r", 3, now)).contains(StopCause.CANCELLED);
        assertThat(stopped.stopOf("r", 4, now)).isEmpty();
    }

    @Test
    void theFirstReasonForAnAttemptStays() {
        stopped.record(stop("r", 1, StopRun.CANCELLED), now);
        stopped.record(stop("r", 1, StopRun.LEASE_EXPIRED), now);

        assertThat(stopped.stopOf("r", 1, now)).contains(StopCause.CANCELLED);
    }

    @Test
    void aStopIsForgottenOnceItsTimeHasPassed() {
        stopped.record(stop("r", 1, StopRun.CANCELLED), now);

        assertThat(stopped.stopOf("r", 1, now.plus(REMEMBER_FOR).minusMillis(1))).isPresent();
        assertThat(stopped.stopOf("r", 1, now.plus(REMEMBER_FOR))).isEmpty();
        assertThat(stopped.size()).isZero();
    }

    @Test
    void readingAStopAgainRemembersItLonger() {
        stopped.record(stop("r", 1, StopRun.CANCELLED), now);
        stopped.record(stop("r", 1, StopRun.CANCELLED), now.plus(Duration.ofMinutes(5)));

        assertThat(stopped.stopOf("r", 1, now.plus(Duration.ofMinutes(12)))).isPresent();
    }

    @Test
    void beyondItsBoundTheStopReadLongestAgoIsForgottenFirst() {
        stopped.record(stop("a", 1, StopRun.CANCELLED), now);
        stopped.record(stop("b", 1, StopRun.CANCELLED), now.plusSeconds(1));
        stopped.record(stop("c", 1, StopRun.CANCELLED), now.plusSeconds(2));
        stopped.record(stop("a", 1, StopRun.CANCELLED), now.plusSeconds(3));
        stopped.record(stop("d", 1, StopRun.CANCELLED), now.plusSeconds(4));

        assertThat(stopped.size()).isEqualTo(3);
        assertThat(stopped.stopOf("b", 1, now.plusSeconds(5))).isEmpty();
        assertThat(stopped.stopOf("a", 1, now.plusSeconds(5))).isPresent();
        assertThat(stopped.stopOf("c", 1, now.plusSeconds(5))).isPresent();
        assertThat(stopped.stopOf("d", 1, now.plusSeconds(5))).isPresent();
    }

    private StopRun stop(String runId, int attempt, String reason) {
        return new StopRun(runId, attempt, reason, now);
    }
}

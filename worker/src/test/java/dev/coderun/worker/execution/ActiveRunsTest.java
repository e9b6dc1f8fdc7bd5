package dev.coderun.worker.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ActiveRunsTest {

    private final ActiveRuns runs = new ActiveRuns(2);

    @Test
    void claimingTakesASlotAndReleasingFreesIt() {
        ClaimedRun a = runs.claim("a", 1);
        runs.claim("b", 1);

        assertThat(runs.free()).isZero();
        assertThat(runs.runIds()).containsExactly("a", "b");
        assertThat(runs.holds("a", 1)).isTrue();
        assertThat(runs.holds("a", 2)).isFalse();

        runs.release(a);

        assertThat(runs.free()).isEqualTo(1);
        assertThat(runs.runIds()).containsExactly("b");
    }

    @Test
    void aFullWorkerRefusesAnotherClaim() {
        runs.claim("a", 1);
        runs.claim("b", 1);

        assertThatIllegalStateException().isThrownBy(() -> runs.claim("c", 1));
    }

    @Test
    void theSameAttemptCannotHoldTwoSlots() {
        runs.claim("a", 1);

        assertThatIllegalStateException().isThrownBy(() -> runs.claim("a", 1));
        runs.claim("a", 2);
        assertThat(runs.runIds()).containsExactly("a", "a");
    }

    @Test
    void awaitingAFreeSlotReturnsWhenOneIsReleased() throws Exception {
        runs.claim("a", 1);
        ClaimedRun b = runs.claim("b", 1);
        assertThat(runs.awaitFree(Duration.ofMillis(20))).isFalse();

        CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return runs.awaitFree(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        runs.release(b);

        await().atMost(Duration.ofSeconds(5)).until(waiting::isDone);
        assertThat(waiting.get()).isTrue();
    }

    @Test
    void aStopReachesTheNamedAttemptAndEarlierOnesOfThatRunOnly() {
        ClaimedRun first = runs.claim("a", 1);
        ClaimedRun second = runs.claim("a", 2);

        assertThat(runs.stop("a", 1, StopCause.CANCELLED)).containsExactly(first);
        assertThat(runs.stop("b", 5, StopCause.CANCELLED)).isEmpty();
        assertThat(runs.stop("a", 2, StopCause.LEASE_EXPIRED)).containsExactly(second);
    }

    @Test
    void anAttemptIsStoppedOnceAndTheFirstCauseCounts() {
        ClaimedRun run = runs.claim("a", 1);

        assertThat(runs.stop("a", 1, StopCause.CANCELLED)).containsExactly(run);
        assertThat(runs.stopAll(StopCause.FENCED)).isEmpty();

        run.enterContainerPhase();
        assertThat(run.leaveContainerPhase()).map(ClaimedRun.Stop::cause).contains(StopCause.CANCELLED);
    }

    @Test
    void stoppingAllStopsEveryHeldAttempt() {
        ClaimedRun a = runs.claim("a", 1);
        ClaimedRun b = runs.claim("b", 1);

        assertThat(runs.stopAll(StopCause.FENCED)).containsExactly(a, b);
    }

    @Test
    void aRunWhoseEndIsReportedGivesItsSlotUpBeforeItsContainerIsRemoved() {
        ClaimedRun a = runs.claim("a", 1);
        runs.claim("b", 1);

        a.endReported();

        assertThat(runs.free()).isEqualTo(1);
        assertThat(runs.runIds()).containsExactly("b");
        assertThat(runs.stop("a", 1, StopCause.CANCELLED)).isEmpty();
        ClaimedRun c = runs.claim("c", 1);

        runs.release(a); // its container is gone: frees nothing more, c keeps its slot
        assertThat(runs.free()).isZero();
        assertThat(runs.runIds()).containsExactly("b", "c");
        runs.release(c);
        assertThat(runs.free()).isEqualTo(1);
    }

    @Test
    void atMostAsManyContainersAreRemovedWithoutASlotAsThereAreSlots() {
        ClaimedRun a = runs.claim("a", 1);
        ClaimedRun b = runs.claim("b", 1);
        a.endReported();
        b.endReported();
        ClaimedRun c = runs.claim("c", 1);
        runs.claim("d", 1);

        c.endReported(); // a and b are still being removed: c keeps its slot until its own removal ends

        assertThat(runs.free()).isZero();
        assertThat(runs.runIds()).containsExactly("c", "d");
        runs.release(a);
        assertThat(runs.free()).isZero();
        runs.release(c);
        assertThat(runs.free()).isEqualTo(1);
        assertThat(runs.runIds()).containsExactly("d");
    }

    @Test
    void aReleasedAttemptDoesNotFreeTheSlotOfALaterClaimOfTheSameAttempt() {
        ClaimedRun first = runs.claim("a", 1);
        runs.release(first);
        runs.claim("a", 1);

        runs.release(first);

        assertThat(runs.holds("a", 1)).isTrue();
    }
}

package dev.coderun.worker.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Runs on the test's own thread, which plays the run's thread. */
class ClaimedRunTest {

    private static final Duration BOUND = Duration.ofSeconds(5);

    private final ClaimedRun run = new ClaimedRun("r", 1, true, ended -> {});

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    @Test
    void aStopDuringTheContainerPhaseInterruptsTheRunsThread() {
        run.enterContainerPhase();

        assertThat(run.stop(StopCause.CANCELLED)).isTrue();

        assertThat(Thread.currentThread().isInterrupted()).isTrue();
    }

    @Test
    void anAttemptStoppedBeforeItsContainerPhaseEntersItInterrupted() {
        assertThat(run.stop(StopCause.LEASE_EXPIRED)).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();

        run.enterContainerPhase();

        assertThat(Thread.currentThread().isInterrupted()).isTrue();
    }

    @Test
    void leavingTheContainerPhaseClearsTheInterruptAndTellsTheStop() {
        run.enterContainerPhase();
        run.stop(StopCause.CANCELLED);

        assertThat(run.leaveContainerPhase()).map(ClaimedRun.Stop::cause).contains(StopCause.CANCELLED);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void aStopAfterTheContainerPhaseChangesNothing() {
        run.enterContainerPhase();
        assertThat(run.leaveContainerPhase()).isEmpty();

        assertThat(run.stop(StopCause.FENCED)).isFalse();

        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void aRunClaimedBeforeItsAcceptanceWaitsForIt() throws Exception {
        ClaimedRun pending = new ClaimedRun("p", 1, false, ended -> {});
        CompletableFuture<Boolean> interrupted = awaitingAcceptance(pending);

        assertThat(interrupted).isNotDone();
        pending.accepted();

        assertThat(interrupted.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isFalse();
    }

    @Test
    void aStopEndsTheWaitForAnAcceptance() throws Exception {
        ClaimedRun pending = new ClaimedRun("p", 1, false, ended -> {});
        CompletableFuture<Boolean> interrupted = awaitingAcceptance(pending);

        assertThat(pending.stop(StopCause.NOT_TAKEN)).isTrue();

        assertThat(interrupted.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }

    /**
     * Starts a run's thread in its container phase and answers once it waits for the acceptance; the answer completes
     * with whether that wait ended interrupted.
     */
    private static CompletableFuture<Boolean> awaitingAcceptance(ClaimedRun run) {
        CompletableFuture<Boolean> interrupted = new CompletableFuture<>();
        Thread runThread = Thread.ofPlatform().start(() -> {
            run.enterContainerPhase();
            try {
                run.awaitAccepted();
                interrupted.complete(false);
            } catch (InterruptedException e) {
                interrupted.complete(true);
            }
        });
        await().atMost(BOUND).until(() -> runThread.getState() == Thread.State.WAITING);
        return interrupted;
    }

    @Test
    void aRunClaimedAcceptedNeverWaits() throws InterruptedException {
        run.enterContainerPhase();

        run.awaitAccepted();

        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }
}

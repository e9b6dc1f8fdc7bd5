package dev.coderun.worker.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.events.RunError;
import dev.coderun.events.RunStatus;
import dev.coderun.worker.sandbox.ContainerExit;
import org.junit.jupiter.api.Test;

class RunOutcomeTest {

    @Test
    void exitZeroSucceeds() {
        assertThat(RunOutcome.of(new ContainerExit(false, 0, false, 12)))
                .isEqualTo(new RunOutcome(RunStatus.SUCCEEDED, 0, 12L, "exited", null));
    }

    @Test
    void aNonZeroExitFails() {
        assertThat(RunOutcome.of(new ContainerExit(false, 3, false, 12)))
                .isEqualTo(new RunOutcome(RunStatus.FAILED, 3, 12L, "exited", null));
    }

    @Test
    void aCommandThatCouldNotStartFailsWithTheShellsExitCode() {
        assertThat(RunOutcome.of(new ContainerExit(false, 127, false, 0)).status()).isEqualTo(RunStatus.FAILED);
    }

    @Test
    void anOomKillFailsEvenWhenTheExitCodeIsZero() {
        assertThat(RunOutcome.of(new ContainerExit(false, 137, true, 40)))
                .isEqualTo(new RunOutcome(RunStatus.FAILED, 137, 40L, "oom_killed", null));
        assertThat(RunOutcome.of(new ContainerExit(false, 0, true, 40)).status()).isEqualTo(RunStatus.FAILED);
    }

    @Test
    void aTimeoutWinsOverEverythingElse() {
        assertThat(RunOutcome.of(new ContainerExit(true, 137, true, 1000)))
                .isEqualTo(new RunOutcome(RunStatus.TIMED_OUT, 137, 1000L, "timeout", null));
        assertThat(RunOutcome.of(new ContainerExit(true, null, false, 1000)).exitCode()).isNull();
    }

    @Test
    void anUnknownExitCodeIsAFailure() {
        assertThat(RunOutcome.of(new ContainerExit(false, null, false, 5)).status()).isEqualTo(RunStatus.FAILED);
    }

    @Test
    void anErroredRunHasAnErrorAndNoProcessFacts() {
        assertThat(RunOutcome.errored("image_unavailable", "gone"))
                .isEqualTo(new RunOutcome(
                        RunStatus.ERRORED, null, null, "error", new RunError("image_unavailable", "gone")));
    }

    @Test
    void aCancelledRunEndsCancelledWithHowLongItRan() {
        assertThat(RunOutcome.stopped(StopCause.CANCELLED, 1500L))
                .isEqualTo(new RunOutcome(RunStatus.CANCELLED, null, 1500L, "cancelled", null));
        assertThat(RunOutcome.stopped(StopCause.CANCELLED, null).durationMs()).isNull();
    }

    @Test
    void anAttemptGivenUpOrFencedIsLeftToTheScheduler() {
        assertThat(StopCause.LEASE_EXPIRED.reported()).isFalse();
        assertThat(StopCause.FENCED.reported()).isFalse();
        assertThatThrownBy(() -> RunOutcome.stopped(StopCause.FENCED, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(StopCause.CANCELLED.reported()).isTrue();
        assertThat(StopCause.SHUTDOWN.reported()).isTrue();
    }

    @Test
    void aRunKilledByTheShutdownIsReportedSo() {
        RunOutcome outcome = RunOutcome.stopped(StopCause.SHUTDOWN, 10L);

        assertThat(outcome.status()).isEqualTo(RunStatus.ERRORED);
        assertThat(outcome.terminationReason()).isEqualTo("error");
        assertThat(outcome.error().code()).isEqualTo("worker_shutdown");
    }
}

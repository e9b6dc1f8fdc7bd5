package dev.coderun.worker.dispatch;

import static dev.coderun.worker.TestRuns.aRun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.DispatchRun;
import java.util.Optional;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.junit.jupiter.api.Test;

class IntakeTest {

    private final Optional<DispatchRun> dispatch = Optional.of(aRun().dispatched());

    @Test
    void aReadableDispatchWithAFreeSlotIsAcceptedAndRun() {
        assertThat(Intake.decide(dispatch, false, false, 1)).isEqualTo(Intake.RUN);
        assertThat(Intake.RUN.acknowledgement).isEqualTo(AcknowledgeType.ACCEPT);
    }

    @Test
    void withoutAFreeSlotTheRecordIsReleasedForAnotherWorker() {
        assertThat(Intake.decide(dispatch, false, false, 0)).isEqualTo(Intake.NO_FREE_SLOT);
        assertThat(Intake.NO_FREE_SLOT.acknowledgement).isEqualTo(AcknowledgeType.RELEASE);
    }

    @Test
    void aRedeliveryOfAnAttemptRunningHereIsAcceptedAndNotRunAgain() {
        assertThat(Intake.decide(dispatch, false, true, 3)).isEqualTo(Intake.ALREADY_RUNNING);
        assertThat(Intake.decide(dispatch, false, true, 0)).isEqualTo(Intake.ALREADY_RUNNING);
        assertThat(Intake.ALREADY_RUNNING.acknowledgement).isEqualTo(AcknowledgeType.ACCEPT);
    }

    @Test
    void aStoppedAttemptIsAcceptedAndNeverRunWhateverTheSlots() {
        assertThat(Intake.decide(dispatch, true, false, 1)).isEqualTo(Intake.STOPPED);
        assertThat(Intake.decide(dispatch, true, false, 0)).isEqualTo(Intake.STOPPED);
        assertThat(Intake.decide(dispatch, true, true, 1)).isEqualTo(Intake.STOPPED);
        assertThat(Intake.STOPPED.acknowledgement).isEqualTo(AcknowledgeType.ACCEPT);
    }

    @Test
    void anUnreadableRecordIsRejectedWhateverTheSlots() {
        assertThat(Intake.decide(Optional.empty(), false, false, 1)).isEqualTo(Intake.UNREADABLE);
        assertThat(Intake.decide(Optional.empty(), false, false, 0)).isEqualTo(Intake.UNREADABLE);
        assertThat(Intake.UNREADABLE.acknowledgement).isEqualTo(AcknowledgeType.REJECT);
    }
}

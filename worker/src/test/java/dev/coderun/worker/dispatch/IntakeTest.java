package dev.coderun.worker.dispatch;

import static dev.coderun.worker.TestRuns.aRun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.DispatchRun;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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

    @Test
    void aPollsDispatchesAreDecidedEarliestDispatchedFirstWhateverThePartitionOrder() {
        Instant t = Instant.parse("2026-11-27T07:00:00Z");
        Map<String, Optional<DispatchRun>> polled = Map.of(
                "busy-new", Optional.of(new DispatchRun(aRun().build(), 1, t.plusMillis(40))),
                "quiet-old", Optional.of(new DispatchRun(aRun().build(), 1, t.plusMillis(10))),
                "busy-old", Optional.of(new DispatchRun(aRun().build(), 1, t)),
                "unreadable", Optional.empty());

        // As a poll hands them out: partition by partition, so a newer dispatch of a busy handle comes first.
        List<String> inPollOrder = List.of("busy-new", "quiet-old", "busy-old", "unreadable");

        assertThat(Intake.earliestDispatchFirst(inPollOrder, polled::get))
                .containsExactly("unreadable", "busy-old", "quiet-old", "busy-new");
    }

    @Test
    void dispatchesOfTheSameInstantKeepThePollsOrder() {
        Instant t = Instant.parse("2026-11-27T07:00:00Z");
        Map<String, Optional<DispatchRun>> polled = Map.of(
                "first", Optional.of(new DispatchRun(aRun().build(), 1, t)),
                "second", Optional.of(new DispatchRun(aRun().build(), 1, t)));

        assertThat(Intake.earliestDispatchFirst(List.of("first", "second"), polled::get))
                .containsExactly("first", "second");
        assertThat(Intake.earliestDispatchFirst(List.of("second", "first"), polled::get))
                .containsExactly("second", "first");
    }
}

package dev.coderun.events;

import static dev.coderun.events.RunStatus.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class RunStateMachineTest {

    @ParameterizedTest(name = "{0} -> {1} is {2}")
    @CsvSource({
        "PENDING, QUEUED, true",
        "PENDING, STARTING, false",
        "PENDING, RUNNING, false",
        "PENDING, REJECTED, true",
        "PENDING, CANCELLED, true",
        "QUEUED, STARTING, true",
        "QUEUED, RUNNING, false",
        "QUEUED, PENDING, false",
        "QUEUED, CANCELLED, true",
        "STARTING, RUNNING, true",
        "STARTING, ERRORED, true",
        "STARTING, PENDING, false",
        "RUNNING, SUCCEEDED, true",
        "RUNNING, FAILED, true",
        "RUNNING, TIMED_OUT, true",
        "RUNNING, STARTING, false",
    })
    void tableOfLegalMoves(RunStatus from, RunStatus to, boolean legal) {
        assertThat(RunStateMachine.canMove(from, to)).isEqualTo(legal);
    }

    @ParameterizedTest
    @EnumSource(value = RunStatus.class, names = {"SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "ERRORED", "REJECTED"})
    void aTerminalStatusNeverChanges(RunStatus terminal) {
        assertThat(terminal.isTerminal()).isTrue();
        for (RunStatus to : RunStatus.values()) {
            assertThat(RunStateMachine.canMove(terminal, to)).as("%s -> %s", terminal, to).isFalse();
            assertThat(RunStateMachine.accepts(terminal, 1, to, 2)).isFalse();
        }
    }

    @Test
    void aDuplicateEventIsIgnored() {
        for (RunStatus status : EnumSet.complementOf(EnumSet.of(QUEUED))) {
            assertThat(RunStateMachine.accepts(status, 1, status, 1)).as("%s twice", status).isFalse();
        }
    }

    @Test
    void aStaleEventOfAnEarlierAttemptIsIgnored() {
        assertThat(RunStateMachine.accepts(STARTING, 2, RUNNING, 1)).isFalse();
        assertThat(RunStateMachine.accepts(STARTING, 2, SUCCEEDED, 1)).isFalse();
    }

    @Test
    void aLostRunGoesBackToTheQueueOnlyForALaterAttempt() {
        assertThat(RunStateMachine.accepts(RUNNING, 1, QUEUED, 1)).isFalse();
        assertThat(RunStateMachine.accepts(RUNNING, 1, QUEUED, 2)).isTrue();
        assertThat(RunStateMachine.accepts(QUEUED, 2, STARTING, 2)).isTrue();
    }
}

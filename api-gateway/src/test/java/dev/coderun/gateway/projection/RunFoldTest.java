package dev.coderun.gateway.projection;

import static dev.coderun.events.RunStatus.CANCELLED;
import static dev.coderun.events.RunStatus.ERRORED;
import static dev.coderun.events.RunStatus.FAILED;
import static dev.coderun.events.RunStatus.PENDING;
import static dev.coderun.events.RunStatus.QUEUED;
import static dev.coderun.events.RunStatus.REJECTED;
import static dev.coderun.events.RunStatus.RUNNING;
import static dev.coderun.events.RunStatus.STARTING;
import static dev.coderun.events.RunStatus.SUCCEEDED;
import static dev.coderun.events.RunStatus.TIMED_OUT;
import static dev.coderun.gateway.GatewayFixtures.NOW;
import static dev.coderun.gateway.GatewayFixtures.aRuntimeSnapshot;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunAccepted;
import dev.coderun.events.RunError;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStatus;
import dev.coderun.gateway.runs.RunRecord;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class RunFoldTest {

    private static final String HANDLE = "alice";
    private static final String RUN = "019a1b2c-3d4e-7f00-8a00-000000000001";

    static Stream<Arguments> forwardMoves() {
        return Stream.of(
                Arguments.of(PENDING, 0, named(queued(1)), 1),
                Arguments.of(QUEUED, 1, named(starting(1)), 1),
                Arguments.of(STARTING, 1, named(started(1)), 1),
                Arguments.of(RUNNING, 1, named(finished(SUCCEEDED, 1)), 1),
                Arguments.of(RUNNING, 1, named(finished(FAILED, 1)), 1),
                Arguments.of(RUNNING, 1, named(finished(TIMED_OUT, 1)), 1),
                Arguments.of(RUNNING, 1, named(finished(CANCELLED, 1)), 1),
                Arguments.of(STARTING, 1, named(finished(ERRORED, 1)), 1),
                // The scheduler finishes runs no worker holds with attempt 0: they belong to the current attempt.
                Arguments.of(PENDING, 0, named(finished(REJECTED, 0)), 0),
                Arguments.of(QUEUED, 1, named(finished(CANCELLED, 0)), 1),
                // A lost worker's run is queued again for the next attempt.
                Arguments.of(STARTING, 1, named(queued(2)), 2),
                Arguments.of(RUNNING, 1, named(queued(2)), 2),
                Arguments.of(QUEUED, 2, named(starting(2)), 2));
    }

    @ParameterizedTest(name = "{0}@{1} + {2} applies as attempt {3}")
    @MethodSource("forwardMoves")
    void forwardMovesApply(RunStatus current, int attempt, RunEvent event, int expectedAttempt) {
        assertThat(RunFold.applies(current, attempt, event)).isTrue();
        assertThat(RunFold.attemptOf(event, attempt)).isEqualTo(expectedAttempt);
    }

    static Stream<Arguments> duplicates() {
        return Stream.of(
                Arguments.of(PENDING, 0, named(accepted())),
                Arguments.of(QUEUED, 1, named(queued(1))),
                Arguments.of(QUEUED, 2, named(queued(2))),
                Arguments.of(STARTING, 1, named(starting(1))),
                Arguments.of(RUNNING, 1, named(started(1))),
                Arguments.of(SUCCEEDED, 1, named(finished(SUCCEEDED, 1))),
                Arguments.of(REJECTED, 0, named(finished(REJECTED, 0))));
    }

    @ParameterizedTest(name = "{0}@{1} + {2} again is ignored")
    @MethodSource("duplicates")
    void aDuplicateEventIsIgnored(RunStatus current, int attempt, RunEvent event) {
        assertThat(RunFold.applies(current, attempt, event)).isFalse();
    }

    static Stream<Arguments> outOfOrder() {
        return Stream.of(
                Arguments.of(QUEUED, 0, named(accepted())),
                Arguments.of(STARTING, 1, named(queued(1))),
                Arguments.of(RUNNING, 1, named(starting(1))),
                Arguments.of(RUNNING, 1, named(queued(1))),
                Arguments.of(RUNNING, 2, named(queued(1))),
                Arguments.of(PENDING, 0, named(started(1))),
                Arguments.of(QUEUED, 1, named(started(1))));
    }

    @ParameterizedTest(name = "{0}@{1} + late or skipping {2} is ignored")
    @MethodSource("outOfOrder")
    void aLateOrSkippingEventIsIgnored(RunStatus current, int attempt, RunEvent event) {
        assertThat(RunFold.applies(current, attempt, event)).isFalse();
    }

    @ParameterizedTest
    @EnumSource(value = RunStatus.class, names = {"SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "ERRORED",
        "REJECTED"})
    void nothingMovesATerminalRun(RunStatus terminal) {
        for (RunEvent event : List.of(accepted(), queued(1), queued(2), starting(1), started(1), starting(2),
                finished(SUCCEEDED, 1), finished(CANCELLED, 0), finished(ERRORED, 2))) {
            assertThat(RunFold.applies(terminal, 1, event)).as("%s after %s", event.status(), terminal).isFalse();
        }
    }

    @Test
    void eventsOfAnEarlierAttemptAreStale() {
        assertThat(RunFold.applies(STARTING, 2, started(1))).isFalse();
        assertThat(RunFold.applies(QUEUED, 2, starting(1))).isFalse();
    }

    @Test
    void aFinishOfAnEarlierAttemptDoesNotEndTheCurrentOne() {
        // Worker 1 was presumed lost and the run moved on to attempt 2; its late report must not finish attempt 2.
        assertThat(RunFold.applies(RUNNING, 2, finished(SUCCEEDED, 1))).isFalse();
        assertThat(RunFold.applies(STARTING, 2, finished(FAILED, 1))).isFalse();
    }

    @Test
    void theSchedulersFinishStillAppliesToALaterAttempt() {
        RunFinished cancelledWhileRequeued = finished(CANCELLED, 0);

        assertThat(RunFold.applies(QUEUED, 2, cancelledWhileRequeued)).isTrue();
        assertThat(RunFold.attemptOf(cancelledWhileRequeued, 2)).isEqualTo(2);
    }

    @Test
    void aRequeueOfALostAttemptAppliesAsTheNextAttempt() {
        RunQueued requeued = queued(2);

        assertThat(RunFold.applies(RUNNING, 1, requeued)).isTrue();
        assertThat(RunFold.attemptOf(requeued, 1)).isEqualTo(2);
        assertThat(RunFold.transitionOf(requeued, 2)).satisfies(t -> {
            assertThat(t.status()).isEqualTo(QUEUED);
            assertThat(t.attempt()).isEqualTo(2);
            assertThat(t.reason()).isEqualTo(RunError.WORKER_LOST);
            assertThat(t.workerId()).isNull();
        });
    }

    @Test
    void theFirstQueueingNamesNoReason() {
        assertThat(RunFold.transitionOf(queued(1), 1).reason()).isNull();
    }

    @Test
    void lateReportsOfTheLostAttemptAreIgnoredOnceTheRunIsQueuedAgain() {
        for (RunEvent late : List.of(starting(1), started(1), finished(SUCCEEDED, 1), finished(FAILED, 1),
                finished(CANCELLED, 1), finished(ERRORED, 1))) {
            assertThat(RunFold.applies(QUEUED, 2, late)).as("%s of attempt 1 after QUEUED(2)", late.status())
                    .isFalse();
        }
    }

    @Test
    void aQueueingWithoutAnAttemptFromAnOlderProducerBelongsToTheCurrentAttempt() {
        RunQueued legacy = queued(0);

        assertThat(RunFold.attemptOf(legacy, 0)).isZero();
        assertThat(RunFold.applies(PENDING, 0, legacy)).isTrue();
        assertThat(RunFold.applies(QUEUED, 0, starting(1))).isTrue();
        // It never reads as a re-queue of an attempt a worker holds.
        assertThat(RunFold.applies(RUNNING, 1, legacy)).isFalse();
    }

    @Test
    void theSchedulersCancelOfAQueuedRunEndsItsCurrentAttempt() {
        RunFinished cancelledWhileQueued = finished(CANCELLED, 0);

        assertThat(RunFold.applies(QUEUED, 1, cancelledWhileQueued)).isTrue();
        assertThat(RunFold.attemptOf(cancelledWhileQueued, 1)).isEqualTo(1);
        assertThat(RunFold.transitionOf(cancelledWhileQueued, 1)).satisfies(t -> {
            assertThat(t.status()).isEqualTo(CANCELLED);
            assertThat(t.attempt()).isEqualTo(1);
            assertThat(t.reason()).isEqualTo("cancelled");
            assertThat(t.workerId()).isNull();
        });
    }

    @Test
    void aWorkersFinishRecordsItsWorkerAndItsErrorCodeAsTheReason() {
        RunRecord.Transition errored = RunFold.transitionOf(finished(ERRORED, 1), 1);

        assertThat(errored.workerId()).isEqualTo("worker-1");
        assertThat(errored.reason()).isEqualTo("internal");
    }

    @Test
    void acceptanceAlwaysBelongsToAttemptZero() {
        assertThat(RunFold.attemptOf(accepted(), 3)).isZero();
    }

    private static Named<RunEvent> named(RunEvent event) {
        String attempt = switch (event) {
            case RunQueued e -> "#" + e.attempt();
            case RunStarting e -> "#" + e.attempt();
            case RunStarted e -> "#" + e.attempt();
            case RunFinished e -> "#" + e.attempt();
            default -> "";
        };
        return Named.of(event.getClass().getSimpleName() + "(" + event.status() + attempt + ")", event);
    }

    private static RunAccepted accepted() {
        RunSpec spec = new RunSpec(RUN, HANDLE, aRuntimeSnapshot(), null, "echo hi", List.of(), Map.of(), "", null,
                30, 1_048_576, 1, Map.of(), "user:alice", NOW);
        return new RunAccepted(spec, NOW);
    }

    private static RunQueued queued(int attempt) {
        return new RunQueued(HANDLE, RUN, attempt, 0, NOW);
    }

    private static RunStarting starting(int attempt) {
        return new RunStarting(HANDLE, RUN, attempt, "worker-1", NOW);
    }

    private static RunStarted started(int attempt) {
        return new RunStarted(HANDLE, RUN, attempt, "worker-1", NOW);
    }

    private static RunFinished finished(RunStatus status, int attempt) {
        boolean byScheduler = attempt == 0;
        Integer exitCode = switch (status) {
            case SUCCEEDED -> 0;
            case FAILED -> 1;
            default -> null;
        };
        return new RunFinished(
                HANDLE, RUN, status, attempt, byScheduler ? null : "worker-1", exitCode, byScheduler ? null : 10L,
                status.name().toLowerCase(), status == ERRORED ? new RunError("internal", "boom") : null,
                OutputSummary.NONE, NOW);
    }
}

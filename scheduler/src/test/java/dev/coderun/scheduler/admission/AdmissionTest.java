package dev.coderun.scheduler.admission;

import static dev.coderun.events.fixtures.RunFixtures.T0;
import static dev.coderun.events.fixtures.RunFixtures.aRunSpec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.CancelRun;
import dev.coderun.events.DispatchRun;
import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunAccepted;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStatus;
import dev.coderun.events.StopRun;
import dev.coderun.events.SubmitRun;
import dev.coderun.events.WorkerDirective;
import dev.coderun.events.WorkerHeartbeat;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdmissionTest {

    private static final Duration LEASE = Duration.ofSeconds(15);

    private final Admission admission = new Admission(new AdmissionPolicy(2, 1, LEASE));
    private final InMemoryRunBook book = new InMemoryRunBook();

    @Test
    void aSubmittedRunIsAcceptedQueuedAndDispatchedWhenTheHandleHasCapacity() {
        AdmissionDecision decision = submit("r1");

        assertThat(decision.events()).extracting(RunEvent::status).containsExactly(RunStatus.PENDING, RunStatus.QUEUED);
        assertThat(decision.events().getFirst()).isInstanceOf(RunAccepted.class);
        assertThat(dispatched(decision)).containsExactly("r1");
        assertThat(decision.state().active()).containsKey("r1");
        assertThat(decision.enqueued()).as("dispatched at once, never written to the queue").isEmpty();
        assertThat(decision.stored()).extracting(RunSpec::runId).containsExactly("r1");
        assertThat(decision.acceptedRunId()).isEqualTo("r1");
    }

    @Test
    void aRunBeyondTheActiveLimitWaitsInTheQueueAsItsOwnEntry() {
        submit("r1");
        submit("r2");

        AdmissionDecision decision = submit("r3");

        assertThat(decision.directives()).isEmpty();
        assertThat(decision.events()).last().isEqualTo(new RunQueued("acme", "r3", 1, 0, T0));
        assertThat(decision.enqueued()).containsExactly(new QueuedRun("r3", 0));
        assertThat(decision.state().queued()).isEqualTo(1);
        assertThat(decision.state().active()).containsOnlyKeys("r1", "r2");
    }

    @Test
    void aRunBeyondTheQueueLimitIsRejected() {
        submit("r1");
        submit("r2");
        submit("r3");
        HandleState full = book.state;

        AdmissionDecision decision = submit("r4");

        assertThat(decision.events()).last().isInstanceOfSatisfying(RunFinished.class, rejected -> {
            assertThat(rejected.status()).isEqualTo(RunStatus.REJECTED);
            assertThat(rejected.error().code()).isEqualTo("queue_full");
        });
        assertThat(decision.directives()).isEmpty();
        assertThat(decision.stored()).isEmpty();
        assertThat(decision.state()).isEqualTo(full);
    }

    @Test
    void aFinishedRunFreesItsSlotForTheOldestQueuedRun() {
        submit("r1");
        submit("r2");
        submit("r3");

        AdmissionDecision decision = event(finished("r1", 1));

        assertThat(dispatched(decision)).containsExactly("r3");
        assertThat(decision.dequeued()).containsExactly(new QueuedRun("r3", 0));
        assertThat(decision.ended()).containsExactly("r1");
        assertThat(decision.state().active()).containsOnlyKeys("r2", "r3");
        assertThat(decision.state().queued()).isZero();
    }

    @Test
    void aFinishedRunWithNothingQueuedStillFreesItsSlot() {
        submit("r1");
        HandleState before = book.state;

        AdmissionDecision decision = event(finished("r1", 1));

        assertThat(decision.events()).isEmpty();
        assertThat(decision.directives()).isEmpty();
        assertThat(decision.state().active()).isEmpty();
        assertThat(decision.changesNothing(before)).as("the freed slot must be saved").isFalse();
    }

    @Test
    void aRedeliveredSubmissionChangesNothing() {
        submit("r1");
        HandleState before = book.state;

        AdmissionDecision again = submit("r1");

        assertThat(again.changesNothing(before)).isTrue();
    }

    @Test
    void eventsOfRunsThatHoldNoSlotOrOfAnotherAttemptChangeNothing() {
        submit("r1");
        HandleState before = book.state;

        assertThat(event(finished("unknown", 1)).changesNothing(before)).isTrue();
        assertThat(event(finished("r1", 2)).changesNothing(before)).isTrue();
        assertThat(event(new RunQueued("acme", "r1", 1, 0, T0)).changesNothing(before)).isTrue();
    }

    @Test
    void aDuplicateFinishReleasesTheSlotOnlyOnce() {
        submit("r1");
        submit("r2");
        submit("r3");
        event(finished("r1", 1));
        HandleState afterFirst = book.state;

        AdmissionDecision second = event(finished("r1", 1));

        assertThat(second.changesNothing(afterFirst)).isTrue();
        assertThat(second.state().active()).hasSize(2);
    }

    @Test
    void cancellingAQueuedRunNeverTakesASlot() {
        submit("r1");
        submit("r2");
        submit("r3");

        AdmissionDecision decision = cancel("r3");

        assertThat(decision.events()).singleElement().isInstanceOfSatisfying(RunFinished.class, f -> {
            assertThat(f.status()).isEqualTo(RunStatus.CANCELLED);
            assertThat(f.terminationReason()).isEqualTo("cancelled");
        });
        assertThat(decision.dequeued()).containsExactly(new QueuedRun("r3", 0));
        assertThat(decision.ended()).containsExactly("r3");
        assertThat(event(finished("r1", 1)).directives()).as("nothing left to dispatch").isEmpty();
    }

    @Test
    void cancellingADispatchedRunNoWorkerClaimedEndsItAtOnceAndFreesTheSlot() {
        submit("r1");
        submit("r2");
        submit("r3");

        AdmissionDecision decision = cancel("r1");

        assertThat(decision.events()).singleElement().extracting(RunEvent::status).isEqualTo(RunStatus.CANCELLED);
        assertThat(decision.directives()).first().isEqualTo(new StopRun("r1", 1, StopRun.CANCELLED, T0));
        assertThat(dispatched(decision)).as("the freed slot goes to the next queued run").containsExactly("r3");
    }

    @Test
    void cancellingAClaimedRunAsksItsWorkerAndKeepsTheSlotUntilTheWorkerReports() {
        submit("r1");
        event(new RunStarting("acme", "r1", 1, "w1", T0));

        AdmissionDecision decision = cancel("r1");

        assertThat(decision.events()).isEmpty();
        assertThat(decision.directives()).containsExactly(new StopRun("r1", 1, StopRun.CANCELLED, T0));
        assertThat(decision.state().active().get("r1").cancelRequested()).isTrue();
        assertThat(event(finishedAs("r1", 1, RunStatus.CANCELLED)).state().active()).isEmpty();
    }

    @Test
    void cancellingARunThatEndedChangesNothing() {
        submit("r1");
        event(finished("r1", 1));
        HandleState before = book.state;

        assertThat(cancel("r1").changesNothing(before)).isTrue();
    }

    @Test
    void aClaimedRunIsKeptWhileItsWorkerHeartbeats() {
        submit("r1");
        event(new RunStarting("acme", "r1", 1, "w1", T0));
        book.heartbeats.put("w1", heartbeat("w1", T0.minusSeconds(60), T0.plusSeconds(20), "r1"));
        clock(T0.plusSeconds(21));

        assertThat(clock(T0.plusSeconds(30)).events()).isEmpty();
        assertThat(book.state.active().get("r1").confirmedAt()).isEqualTo(T0.plusSeconds(20));
        assertThat(clock(T0.plusSeconds(36)).events()).as("lost 15 s after the last heartbeat listing it")
                .singleElement().extracting(RunEvent::status).isEqualTo(RunStatus.ERRORED);
    }

    @Test
    void aRunItsWorkerNoLongerListsIsLostAfterTheLeaseThoughTheWorkerBeats() {
        submit("r1");
        event(new RunStarting("acme", "r1", 1, "w1", T0));
        book.heartbeats.put("w1", heartbeat("w1", T0.minusSeconds(60), T0.plusSeconds(3), "r1"));
        clock(T0.plusSeconds(4));
        book.heartbeats.put("w1", heartbeat("w1", T0.minusSeconds(60), T0.plusSeconds(17)));

        assertThat(clock(T0.plusSeconds(17)).events()).isEmpty();
        assertThat(clock(T0.plusSeconds(19)).events()).singleElement().isInstanceOfSatisfying(RunFinished.class,
                f -> assertThat(f.error().code()).isEqualTo("worker_lost"));
    }

    @Test
    void aRunWhoseWorkerWentSilentIsReattemptedWhileAttemptsRemain() {
        submit("r1", 2);
        event(new RunStarting("acme", "r1", 1, "w1", T0));
        book.heartbeats.put("w1", heartbeat("w1", T0.minusSeconds(60), T0.plusSeconds(3), "r1"));

        assertThat(clock(T0.plusSeconds(17)).events()).as("within the lease").isEmpty();
        AdmissionDecision decision = clock(T0.plusSeconds(19));

        assertThat(decision.events()).containsExactly(new RunQueued("acme", "r1", 2, 0, T0.plusSeconds(19)));
        assertThat(decision.directives()).containsExactly(
                new StopRun("r1", 1, StopRun.LEASE_EXPIRED, T0.plusSeconds(19)),
                new DispatchRun(aRunSpec("acme", "r1", 2), 2, T0.plusSeconds(19)));
        assertThat(decision.state().active().get("r1")).isEqualTo(ActiveRun.dispatched(2, 2));
        assertThat(decision.state().active().get("r1").claimed()).isFalse();
        assertThat(event(finished("r1", 1)).changesNothing(book.state)).as("the lost attempt's report is stale")
                .isTrue();
    }

    @Test
    void aRunWhoseWorkerWasLostOnItsLastAttemptEndsErroredWorkerLostAndFreesTheSlot() {
        submit("r1");
        submit("r2");
        submit("r3");
        event(new RunStarting("acme", "r1", 1, "w1", T0));

        AdmissionDecision decision = clock(T0.plusSeconds(16));

        assertThat(decision.events()).singleElement().isInstanceOfSatisfying(RunFinished.class, f -> {
            assertThat(f.status()).isEqualTo(RunStatus.ERRORED);
            assertThat(f.error().code()).isEqualTo("worker_lost");
            assertThat(f.attempt()).isEqualTo(1);
        });
        assertThat(dispatched(decision)).containsExactly("r3");
        assertThat(decision.ended()).containsExactly("r1");
    }

    @Test
    void aWorkerThatRestartedSettlesTheRunsOfItsEarlierLifeAtOnce() {
        submit("r1");
        event(new RunStarting("acme", "r1", 1, "w1", T0));
        book.heartbeats.put("w1", heartbeat("w1", T0.plusSeconds(2), T0.plusSeconds(2)));

        AdmissionDecision decision = clock(T0.plusSeconds(3));

        assertThat(decision.events()).singleElement().extracting(RunEvent::status).isEqualTo(RunStatus.ERRORED);
    }

    @Test
    void anAttemptItsDrainedWorkerHandedBackIsReattemptedAtOnceAndAnotherAttemptIsNotTouched() {
        submit("r1", 2);
        submit("r2", 2);
        event(new RunStarting("acme", "r1", 1, "w1", T0));
        event(new RunStarting("acme", "r2", 1, "w1", T0));
        book.heartbeats.put("w1", new WorkerHeartbeat("w1", 4, List.of("r2"), T0.minusSeconds(60), T0.plusSeconds(2),
                "host", WorkerHeartbeat.DRAINING, List.of(new WorkerHeartbeat.RunAttempt("r2", 1)), T0.plusSeconds(1),
                List.of(new WorkerHeartbeat.RunAttempt("r1", 1), new WorkerHeartbeat.RunAttempt("r2", 7))));

        AdmissionDecision decision = clock(T0.plusSeconds(3));

        assertThat(decision.events()).as("well within the lease")
                .containsExactly(new RunQueued("acme", "r1", 2, 0, T0.plusSeconds(3)));
        assertThat(decision.directives()).containsExactly(
                new StopRun("r1", 1, StopRun.LEASE_EXPIRED, T0.plusSeconds(3)),
                new DispatchRun(aRunSpec("acme", "r1", 2), 2, T0.plusSeconds(3)));
        assertThat(decision.state().active().get("r2").claimed()).isTrue();
    }

    @Test
    void aRunBeingCancelledWhoseWorkerIsLostEndsCancelled() {
        submit("r1", 3);
        event(new RunStarting("acme", "r1", 1, "w1", T0));
        cancel("r1");

        AdmissionDecision decision = clock(T0.plusSeconds(16));

        assertThat(decision.events()).singleElement().extracting(RunEvent::status).isEqualTo(RunStatus.CANCELLED);
        assertThat(decision.state().active()).isEmpty();
    }

    @Test
    void aDispatchNoWorkerClaimedYetHasNoLeaseToLose() {
        submit("r1");

        assertThat(clock(T0.plus(Duration.ofHours(1))).changesNothing(book.state)).isTrue();
    }

    @Test
    void aLateRunStartedOfTheClaimingWorkerKeepsTheLease() {
        submit("r1");
        event(new RunStarting("acme", "r1", 1, "w1", T0));
        HandleState claimed = book.state;

        assertThat(event(new RunStarted("acme", "r1", 1, "w1", T0.plusSeconds(1))).changesNothing(claimed)).isTrue();
    }

    private AdmissionDecision submit(String runId) {
        return submit(runId, 1);
    }

    private AdmissionDecision submit(String runId, int maxAttempts) {
        return book.apply(admission.onCommand(
                book.state, new SubmitRun(aRunSpec("acme", runId, maxAttempts), T0), book, T0));
    }

    private AdmissionDecision cancel(String runId) {
        return book.apply(admission.onCommand(book.state, new CancelRun("acme", runId, "user:test", T0), book, T0));
    }

    private AdmissionDecision event(RunEvent event) {
        return book.apply(admission.onEvent(book.state, event, book, T0));
    }

    private AdmissionDecision clock(Instant now) {
        return book.apply(admission.onClock(book.state, book, now));
    }

    private static List<String> dispatched(AdmissionDecision decision) {
        return decision.directives().stream()
                .filter(DispatchRun.class::isInstance)
                .map(WorkerDirective::runId)
                .toList();
    }

    private static WorkerHeartbeat heartbeat(String workerId, Instant startedAt, Instant at, String... runIds) {
        return new WorkerHeartbeat(workerId, 4, List.of(runIds), startedAt, at);
    }

    private static RunFinished finished(String runId, int attempt) {
        return finishedAs(runId, attempt, RunStatus.SUCCEEDED);
    }

    private static RunFinished finishedAs(String runId, int attempt, RunStatus status) {
        return new RunFinished("acme", runId, status, attempt, "w1", 0, 5L, "exited", null, OutputSummary.NONE, T0);
    }
}

package dev.coderun.scheduler.admission;

import static dev.coderun.events.fixtures.RunFixtures.T0;
import static dev.coderun.events.fixtures.RunFixtures.aRunSpec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunAccepted;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStatus;
import dev.coderun.events.SubmitRun;
import org.junit.jupiter.api.Test;

class AdmissionTest {

    private final Admission admission = new Admission(new AdmissionPolicy(2, 1));

    @Test
    void aSubmittedRunIsAcceptedQueuedAndDispatchedWhenTheHandleHasCapacity() {
        AdmissionDecision decision = submit(HandleState.EMPTY, "r1");

        assertThat(decision.events()).extracting(RunEvent::status).containsExactly(RunStatus.PENDING, RunStatus.QUEUED);
        assertThat(decision.events().getFirst()).isInstanceOf(RunAccepted.class);
        assertThat(decision.dispatches()).extracting(DispatchRun::runId).containsExactly("r1");
        assertThat(decision.dispatches().getFirst().attempt()).isEqualTo(1);
        assertThat(decision.state().active()).containsKey("r1");
        assertThat(decision.state().queue()).isEmpty();
        assertThat(decision.acceptedRunId()).isEqualTo("r1");
    }

    @Test
    void aRunBeyondTheActiveLimitWaitsInTheQueue() {
        HandleState full = submit(submit(HandleState.EMPTY, "r1").state(), "r2").state();

        AdmissionDecision decision = submit(full, "r3");

        assertThat(decision.dispatches()).isEmpty();
        assertThat(decision.events()).last().isEqualTo(new RunQueued("acme", "r3", 0, T0));
        assertThat(decision.state().queue()).extracting(s -> s.runId()).containsExactly("r3");
    }

    @Test
    void aRunBeyondTheQueueLimitIsRejected() {
        HandleState fullAndQueued = submit(submit(submit(HandleState.EMPTY, "r1").state(), "r2").state(), "r3").state();

        AdmissionDecision decision = submit(fullAndQueued, "r4");

        assertThat(decision.events()).last().isInstanceOfSatisfying(RunFinished.class, rejected -> {
            assertThat(rejected.status()).isEqualTo(RunStatus.REJECTED);
            assertThat(rejected.error().code()).isEqualTo("queue_full");
        });
        assertThat(decision.dispatches()).isEmpty();
        assertThat(decision.state()).isEqualTo(fullAndQueued);
    }

    @Test
    void aFinishedRunFreesItsSlotForTheOldestQueuedRun() {
        HandleState state = HandleState.EMPTY;
        for (String id : new String[] {"r1", "r2", "r3"}) {
            state = submit(state, id).state();
        }

        AdmissionDecision decision = admission.onEvent(state, finished("r1"), T0);

        assertThat(decision.dispatches()).extracting(DispatchRun::runId).containsExactly("r3");
        assertThat(decision.state().active()).containsOnlyKeys("r2", "r3");
        assertThat(decision.state().queue()).isEmpty();
    }

    @Test
    void aFinishedRunWithNothingQueuedStillFreesItsSlot() {
        HandleState state = submit(HandleState.EMPTY, "r1").state();

        AdmissionDecision decision = admission.onEvent(state, finished("r1"), T0);

        assertThat(decision.events()).isEmpty();
        assertThat(decision.dispatches()).isEmpty();
        assertThat(decision.state().active()).isEmpty();
        assertThat(decision.changesNothing(state)).as("the freed slot must be saved").isFalse();
    }

    @Test
    void aRedeliveredSubmissionChangesNothing() {
        HandleState state = submit(HandleState.EMPTY, "r1").state();

        AdmissionDecision again = admission.onCommand(state, new SubmitRun(aRunSpec("acme", "r1"), T0), true, T0);

        assertThat(again.changesNothing(state)).isTrue();
        assertThat(again.state()).isEqualTo(state);
    }

    @Test
    void eventsOfRunsThatHoldNoSlotChangeNothing() {
        HandleState state = submit(HandleState.EMPTY, "r1").state();

        assertThat(admission.onEvent(state, finished("unknown"), T0).changesNothing(state)).isTrue();
        assertThat(admission.onEvent(state, new RunStarted("acme", "r1", 1, "w", T0), T0).changesNothing(state)).isTrue();
        assertThat(admission.onEvent(state, new RunQueued("acme", "r1", 0, T0), T0).changesNothing(state)).isTrue();
    }

    @Test
    void aDuplicateFinishReleasesTheSlotOnlyOnce() {
        HandleState state = HandleState.EMPTY;
        for (String id : new String[] {"r1", "r2", "r3"}) {
            state = submit(state, id).state();
        }
        HandleState afterFirst = admission.onEvent(state, finished("r1"), T0).state();

        AdmissionDecision second = admission.onEvent(afterFirst, finished("r1"), T0);

        assertThat(second.changesNothing(afterFirst)).isTrue();
        assertThat(second.state().active()).hasSize(2);
    }

    private AdmissionDecision submit(HandleState state, String runId) {
        return admission.onCommand(state, new SubmitRun(aRunSpec("acme", runId), T0), false, T0);
    }

    private static RunFinished finished(String runId) {
        return new RunFinished("acme", runId, RunStatus.SUCCEEDED, 1, "w", 0, 5L, "exited", null, OutputSummary.NONE, T0);
    }
}

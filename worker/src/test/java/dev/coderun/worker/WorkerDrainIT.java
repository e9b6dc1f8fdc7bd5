package dev.coderun.worker;

import static dev.coderun.worker.LocalRegistry.aBusyboxRun;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.DrainWorker;
import dev.coderun.events.OutputChunk.OutputStream;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunStatus;
import dev.coderun.events.Topics;
import dev.coderun.events.UndrainWorker;
import dev.coderun.events.WorkerHeartbeat;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Draining whole workers through fleet directives on the control topic, against a real in-process Kafka broker and the
 * local Docker engine. The scheduler is not here: where it would dispatch a handed-back run's next attempt, the test
 * does, as {@code TestKafka.dispatch} stands for its first.
 */
@ExtendWith(TestKafka.Shared.class)
class WorkerDrainIT {

    private static final Duration RUN_BOUND = Duration.ofSeconds(30);

    private static TestKafka kafka;
    private static RecordedTopics topics;
    private TestWorkers workers;

    @BeforeAll
    static void connect(TestKafka sharedKafka) {
        kafka = sharedKafka;
        topics = kafka.topics();
    }

    @BeforeEach
    void workers() {
        workers = new TestWorkers(kafka);
    }

    @AfterEach
    void stopWorkers() {
        workers.close();
    }

    @Test
    void aDrainingWorkerTakesNoNewDispatchLetsItsRunFinishAndTakesWorkAgainOnceUndrained() {
        String drained = workers.start(2);
        DispatchRun running = kafka.dispatch(aBusyboxRun().command("echo started; sleep 4; echo done")
                .timeoutSeconds(60));
        await().atMost(RUN_BOUND).until(() -> topics.output(running.runId(), OutputStream.STDOUT).equals("started\n"));

        Instant drainAt = Instant.now();
        kafka.publish(Topics.CONTROL, null, drained, new DrainWorker(drained, null, drainAt));
        await().atMost(RUN_BOUND).until(() -> latestAfter(drained, drainAt)
                .filter(beat -> beat.state().equals(WorkerHeartbeat.DRAINING)).isPresent());
        DispatchRun waiting = kafka.dispatch(aBusyboxRun().command("echo later"));

        // The running run finishes on the draining worker, reported as usual.
        RunFinished finished = topics.awaitFinished(running.runId(), RUN_BOUND);
        assertThat(finished.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(finished.workerId()).isEqualTo(drained);
        assertThat(topics.output(running.runId(), OutputStream.STDOUT)).isEqualTo("started\ndone\n");
        Instant finishedSeen = Instant.now();
        await().atMost(RUN_BOUND).until(() -> latestAfter(drained, finishedSeen)
                .filter(beat -> beat.state().equals(WorkerHeartbeat.DRAINED) && beat.runs().isEmpty()).isPresent());
        // With a free slot, the drained worker still takes nothing.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6))
                .until(() -> topics.eventsOf(waiting.runId()).isEmpty());

        // Another worker takes the waiting dispatch: the drained one held no lock on it.
        String other = workers.start(1);
        RunFinished later = topics.awaitFinished(waiting.runId(), RUN_BOUND);
        assertThat(later.workerId()).isEqualTo(other);
        assertThat(later.status()).isEqualTo(RunStatus.SUCCEEDED);

        Instant undrainAt = Instant.now();
        kafka.publish(Topics.CONTROL, null, drained, new UndrainWorker(drained, undrainAt));
        await().atMost(RUN_BOUND).until(() -> latestAfter(drained, undrainAt)
                .filter(beat -> beat.state().equals(WorkerHeartbeat.ACTIVE)).isPresent());
        workers.stopLast(); // the undrained worker is left alone to take the next run
        DispatchRun afterUndrain = kafka.dispatch(aBusyboxRun().command("echo again"));
        assertThat(topics.awaitFinished(afterUndrain.runId(), RUN_BOUND).workerId()).isEqualTo(drained);
    }

    @Test
    void pastTheDeadlineARunningRunIsHandedBackUnreportedAndItsNextAttemptRunsElsewhere() {
        String drained = workers.start(1);
        DispatchRun first = kafka.dispatch(aBusyboxRun().command("echo started; sleep 5; echo done")
                .timeoutSeconds(60));
        await().atMost(RUN_BOUND).until(() -> topics.output(first.runId(), OutputStream.STDOUT).equals("started\n"));
        await().atMost(RUN_BOUND).until(() -> !topics.heartbeatsOf(drained).isEmpty()
                && topics.heartbeatsOf(drained).getLast().runs()
                        .contains(new WorkerHeartbeat.RunAttempt(first.runId(), 1)));

        Instant drainAt = Instant.now();
        kafka.publish(Topics.CONTROL, null, drained, new DrainWorker(drained, drainAt.plusSeconds(1), drainAt));

        // Killed, its slot freed, nothing reported, and listed as handed back: the scheduler gives attempt 1 up.
        await().atMost(RUN_BOUND).until(() -> TestWorkers.containersOf(first.runId()).isEmpty());
        Instant killed = Instant.now();
        WorkerHeartbeat after = await().atMost(RUN_BOUND).until(() -> latestAfter(drained, killed).orElse(null),
                beat -> beat != null && beat.state().equals(WorkerHeartbeat.DRAINED) && beat.runs().isEmpty());
        assertThat(after.handedBack()).containsExactly(new WorkerHeartbeat.RunAttempt(first.runId(), 1));
        assertThat(topics.finished(first.runId())).isEmpty();
        assertThat(topics.eventsOf(first.runId())).extracting(RunEvent::status)
                .containsExactly(RunStatus.STARTING, RunStatus.RUNNING);
        assertThat(topics.heartbeatsOf(drained).getLast().drainDeadline()).isEqualTo(drainAt.plusSeconds(1));

        // The next attempt, as the scheduler dispatches it, runs on another worker and ends the run.
        String other = workers.start(1);
        DispatchRun second = new DispatchRun(first.spec(), 2, Instant.now());
        kafka.publish(Topics.DISPATCH, null, second.runId(), second);
        RunFinished finished = topics.awaitFinished(first.runId(), RUN_BOUND);
        assertThat(finished.attempt()).isEqualTo(2);
        assertThat(finished.workerId()).isEqualTo(other);
        assertThat(finished.status()).isEqualTo(RunStatus.SUCCEEDED);
        // The end is published before the container is removed (worker/README.md, "A run").
        await().atMost(RUN_BOUND).until(() -> TestWorkers.containersOf(first.runId()).isEmpty());
    }

    @Test
    void aDirectiveForAnotherWorkerOrPublishedBeforeTheWorkerStartedChangesNothing() {
        String worker = workers.start(1);
        Instant now = Instant.now();
        kafka.publish(Topics.CONTROL, null, "someone-else", new DrainWorker("someone-else", null, now));
        kafka.publish(Topics.CONTROL, null, worker, new DrainWorker(worker, null, now.minus(Duration.ofMinutes(5))));

        DispatchRun run = kafka.dispatch(aBusyboxRun().command("echo taken"));

        assertThat(topics.awaitFinished(run.runId(), RUN_BOUND).workerId()).isEqualTo(worker);
        List<WorkerHeartbeat> beats = topics.heartbeatsOf(worker);
        assertThat(beats).isNotEmpty().allSatisfy(beat -> assertThat(beat.state()).isEqualTo(WorkerHeartbeat.ACTIVE));
    }

    private static Optional<WorkerHeartbeat> latestAfter(String workerId, Instant after) {
        List<WorkerHeartbeat> beats = topics.heartbeatsOf(workerId);
        return beats.isEmpty() || !beats.getLast().at().isAfter(after)
                ? Optional.empty() : Optional.of(beats.getLast());
    }
}

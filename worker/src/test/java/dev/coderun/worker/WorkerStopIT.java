package dev.coderun.worker;

import static dev.coderun.worker.LocalRegistry.aBusyboxRun;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.OutputChunk.OutputStream;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunStatus;
import dev.coderun.events.StopRun;
import dev.coderun.events.Topics;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Stop directives on the control topic, read by whole workers against a real in-process Kafka broker and the local
 * Docker engine. Each test starts the workers it needs and stops them, so it has the share group to itself.
 */
@ExtendWith(TestKafka.Shared.class)
class WorkerStopIT {

    private static final Duration RUN_BOUND = Duration.ofSeconds(30);
    /** From the stop directive to the run's durable end: kill, drain, remove, publish. */
    private static final Duration STOP_BOUND = Duration.ofSeconds(5);

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
    void aCancelledRunIsKilledAndEndsCancelledWithTheOutputItWrote() {
        String workerId = workers.start(1);
        DispatchRun run = kafka.dispatch(aBusyboxRun().command("echo started; sleep 30").timeoutSeconds(60));
        await().atMost(RUN_BOUND).until(() -> topics.output(run.runId(), OutputStream.STDOUT).equals("started\n"));

        long stopping = System.nanoTime();
        kafka.stop(run, StopRun.CANCELLED);

        RunFinished finished = topics.awaitFinished(run.runId(), STOP_BOUND);
        assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(STOP_BOUND);
        assertThat(topics.eventsOf(run.runId())).extracting(RunEvent::status)
                .containsExactly(RunStatus.STARTING, RunStatus.RUNNING, RunStatus.CANCELLED);
        assertThat(finished.workerId()).isEqualTo(workerId);
        assertThat(finished.terminationReason()).isEqualTo("cancelled");
        assertThat(finished.error()).isNull();
        assertThat(finished.durationMs()).isNotNull().isLessThan(Duration.ofSeconds(30).toMillis());
        // Every chunk was acknowledged before RunFinished was published.
        assertThat(topics.chunksOf(run.runId())).hasSize(finished.output().chunks());
        assertThat(topics.output(run.runId(), OutputStream.STDOUT)).isEqualTo("started\n");
        assertThat(finished.output().stdoutBytes()).isEqualTo(8);
        assertThat(TestWorkers.containersOf(run.runId())).isEmpty();
    }

    @Test
    void anAttemptGivenUpAsLostIsKilledAndLeftToTheScheduler() {
        String workerId = workers.start(1);
        DispatchRun run = kafka.dispatch(aBusyboxRun().command("echo started; sleep 30").timeoutSeconds(60));
        await().atMost(RUN_BOUND).until(() -> topics.output(run.runId(), OutputStream.STDOUT).equals("started\n"));

        kafka.stop(run, StopRun.LEASE_EXPIRED);

        await().atMost(STOP_BOUND).until(() -> TestWorkers.containersOf(run.runId()).isEmpty());
        Instant killed = Instant.now();
        // The slot is free again (heartbeats no longer list the run), and no report of the given-up attempt follows.
        await().atMost(STOP_BOUND).until(() -> topics.heartbeatsOf(workerId).stream()
                .anyMatch(beat -> beat.at().isAfter(killed) && beat.activeRunIds().isEmpty()));
        assertThat(topics.finished(run.runId())).isEmpty();
    }

    @Test
    void aDispatchWhoseAttemptWasStoppedBeforeTheWorkerStartedIsNeverStartedAndTakesNoSlot() {
        DispatchRun stopped = new DispatchRun(aBusyboxRun().command("echo never").build(), 1, Instant.now());
        kafka.publish(Topics.CONTROL, null, stopped.runId(),
                new StopRun(stopped.runId(), 1, StopRun.CANCELLED, Instant.now()));
        String workerId = workers.start(1);

        // One partition, so the share group delivers the stopped dispatch first; the one slot then takes the next.
        kafka.publish(Topics.DISPATCH, 0, stopped.runId(), stopped);
        DispatchRun next = new DispatchRun(aBusyboxRun().command("echo next").build(), 1, Instant.now());
        kafka.publish(Topics.DISPATCH, 0, next.runId(), next);

        assertThat(topics.awaitFinished(next.runId(), RUN_BOUND).status()).isEqualTo(RunStatus.SUCCEEDED);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> topics.eventsOf(stopped.runId()).isEmpty());
        await().atMost(RUN_BOUND).until(() -> topics.heartbeatsOf(workerId).getLast().activeRunIds().isEmpty());
        assertThat(topics.heartbeatsOf(workerId))
                .noneSatisfy(beat -> assertThat(beat.activeRunIds()).contains(stopped.runId()));
    }
}

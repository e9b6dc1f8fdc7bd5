package dev.coderun.worker;

import static dev.coderun.worker.LocalRegistry.aBusyboxRun;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.OutputChunk.OutputStream;
import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStatus;
import dev.coderun.events.Topics;
import dev.coderun.events.WorkerHeartbeat;
import dev.coderun.events.WorkerHeartbeat.RunAttempt;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Whole workers (their Spring contexts) against a real in-process Kafka broker and the local Docker engine. Each test
 * starts the workers it needs and stops them, so it has the share group to itself.
 */
@ExtendWith(TestKafka.Shared.class)
class WorkerDispatchIT {

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
    void aDispatchedRunIsStartedRunAndFinishedWithItsOutput() throws Exception {
        String workerId = startWorker(2);
        DispatchRun run = dispatch(aBusyboxRun().command("echo hello; echo oops >&2"));

        RunFinished finished = awaitFinished(run);

        assertThat(topics.eventsOf(run.runId()))
                .extracting(RunEvent::status)
                .containsExactly(RunStatus.STARTING, RunStatus.RUNNING, RunStatus.SUCCEEDED);
        assertThat(topics.eventsOf(run.runId()).get(0))
                .isEqualTo(new RunStarting(run.spec().handle(), run.runId(), 1, workerId,
                        topics.eventsOf(run.runId()).get(0).at()));
        assertThat(topics.eventsOf(run.runId()).get(1)).isInstanceOf(RunStarted.class);
        assertThat(finished.workerId()).isEqualTo(workerId);
        assertThat(finished.attempt()).isEqualTo(1);
        assertThat(finished.exitCode()).isZero();
        assertThat(finished.terminationReason()).isEqualTo("exited");
        assertThat(finished.error()).isNull();
        assertThat(finished.durationMs()).isNotNull().isLessThan(RUN_BOUND.toMillis());
        assertThat(finished.output()).isEqualTo(new OutputSummary(6, 5, false, false, finished.output().chunks()));
        // The worker published every chunk before RunFinished was acknowledged, so all are there by now.
        assertThat(topics.chunksOf(run.runId())).hasSize(finished.output().chunks());
        assertThat(output(run, OutputStream.STDOUT)).isEqualTo("hello\n");
        assertThat(output(run, OutputStream.STDERR)).isEqualTo("oops\n");
    }

    @Test
    void outputIsPublishedWhileTheRunStillRuns() throws Exception {
        startWorker(1);
        DispatchRun run = dispatch(aBusyboxRun().command("echo first; sleep 3; echo second"));

        await().atMost(RUN_BOUND).until(() -> output(run, OutputStream.STDOUT).equals("first\n"));
        assertThat(topics.finished(run.runId())).isEmpty();

        awaitFinished(run);
        assertThat(output(run, OutputStream.STDOUT)).isEqualTo("first\nsecond\n");
    }

    @Test
    void aFailingRunAndATimedOutRunEndWithTheirStatus() throws Exception {
        startWorker(2);
        DispatchRun failing = dispatch(aBusyboxRun().command("echo partial; exit 4"));
        DispatchRun sleeping = dispatch(aBusyboxRun().command("sleep 30").timeoutSeconds(1));

        RunFinished failed = awaitFinished(failing);
        RunFinished timedOut = awaitFinished(sleeping);

        assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
        assertThat(failed.exitCode()).isEqualTo(4);
        assertThat(output(failing, OutputStream.STDOUT)).isEqualTo("partial\n");
        assertThat(timedOut.status()).isEqualTo(RunStatus.TIMED_OUT);
        assertThat(timedOut.terminationReason()).isEqualTo("timeout");
    }

    @Test
    void aRunWhoseImageCannotBePulledEndsErroredWithoutStarting() throws Exception {
        startWorker(1);
        DispatchRun run = dispatch(TestRuns.aRun()
                .runtime(TestRuns.aRuntime().image(LocalRegistry.BUSYBOX, TestRuns.UNKNOWN_DIGEST).build()));

        RunFinished finished = awaitFinished(run);

        assertThat(finished.status()).isEqualTo(RunStatus.ERRORED);
        assertThat(finished.error().code()).isEqualTo("image_unavailable");
        assertThat(finished.exitCode()).isNull();
        assertThat(finished.output()).isEqualTo(OutputSummary.NONE);
        assertThat(topics.eventsOf(run.runId())).extracting(RunEvent::status)
                .containsExactly(RunStatus.STARTING, RunStatus.ERRORED);
    }

    @Test
    void anUnreadableDispatchIsRejectedAndTheWorkerKeepsTakingRuns() throws Exception {
        startWorker(1);
        kafka.publish(new ProducerRecord<>(Topics.DISPATCH, "garbage", "{not json".getBytes(UTF_8)));
        kafka.publish(new ProducerRecord<>(Topics.DISPATCH, "unknown", "{\"type\":\"Nope\",\"version\":1}"
                .getBytes(UTF_8)));

        DispatchRun run = dispatch(aBusyboxRun().command("echo still here"));

        assertThat(awaitFinished(run).status()).isEqualTo(RunStatus.SUCCEEDED);
    }

    @Test
    void aWorkerNeverRunsMoreRunsThanItHasSlots() throws Exception {
        String workerId = startWorker(2);
        List<DispatchRun> runs = IntStream.range(0, 5)
                .mapToObj(i -> dispatch(aBusyboxRun().command("sleep 1")))
                .toList();

        runs.forEach(WorkerDispatchIT::awaitFinished);

        assertThat(mostAtOnce(runs)).isEqualTo(2);
        assertThat(topics.heartbeatsOf(workerId)).allSatisfy(beat -> {
            assertThat(beat.slots()).isEqualTo(2);
            assertThat(beat.activeRunIds()).hasSizeLessThanOrEqualTo(2);
        });
        assertThat(topics.heartbeatsOf(workerId)).anySatisfy(beat -> assertThat(beat.activeRunIds()).isNotEmpty());
    }

    @Test
    void everyDispatchRunsExactlyOnceAcrossWorkers() throws Exception {
        String a = startWorker(2);
        String b = startWorker(2);
        List<DispatchRun> runs = IntStream.range(0, 12)
                .mapToObj(i -> dispatch(aBusyboxRun().command("echo " + i)))
                .toList();

        runs.forEach(WorkerDispatchIT::awaitFinished);

        for (DispatchRun run : runs) {
            List<RunEvent> events = topics.eventsOf(run.runId());
            assertThat(events).filteredOn(RunStarting.class::isInstance).hasSize(1);
            assertThat(events).filteredOn(RunFinished.class::isInstance).singleElement()
                    .satisfies(end -> assertThat(((RunFinished) end).workerId()).isIn(a, b));
        }
    }

    @Test
    void aFullWorkerLeavesTheShareGroupSoOthersTakeWhatWaitsOnItsPartitions() throws Exception {
        String[] settings = {
            "--coderun.worker.dispatch.leave-group-when-full-after=500ms", "--coderun.worker.dispatch.shutdown-grace=0s"
        };
        startWorker(1, settings);
        startWorker(1, settings);
        DispatchRun longRun = dispatch(aBusyboxRun().command("sleep 25").timeoutSeconds(60));
        await().atMost(RUN_BOUND).until(() -> topics.eventsOf(longRun.runId()).stream()
                .anyMatch(RunStarted.class::isInstance));

        // Keys hash over all dispatch partitions, so some of these land on the busy worker's partitions.
        List<DispatchRun> shortRuns = IntStream.range(0, 8)
                .mapToObj(i -> dispatch(aBusyboxRun().command("echo " + i)))
                .toList();

        await().atMost(Duration.ofSeconds(18)).until(() -> shortRuns.stream()
                .allMatch(run -> topics.finished(run.runId()).isPresent()));
        assertThat(topics.finished(longRun.runId())).isEmpty();
    }

    /**
     * Past the shutdown grace the worker hands its runs back as a drain past its deadline does: killed, not reported,
     * and listed as handed back in its last heartbeat, so the scheduler runs them again at once.
     */
    /**
     * With a flush interval far longer than the run, output after a quiet interval is published at once, and output
     * that closely follows published output waits for the next flush (here: the run's end).
     */
    @Test
    void outputAfterAQuietIntervalIsPublishedAtOnceAndCloseOutputIsBatched() throws Exception {
        startWorker(1, "--coderun.worker.output.flush-interval=20s");
        DispatchRun run = dispatch(aBusyboxRun().command("echo first; sleep 2; echo second; echo third"));

        await().atMost(RUN_BOUND).until(() -> output(run, OutputStream.STDOUT).equals("first\n"));
        assertThat(topics.finished(run.runId())).isEmpty();

        awaitFinished(run);
        assertThat(topics.chunksOf(run.runId()))
                .extracting(chunk -> new String(chunk.data(), StandardCharsets.UTF_8))
                .containsExactly("first\n", "second\nthird\n");
    }

    @Test
    void aWorkerThatShutsDownHandsBackWhatStillRuns() throws Exception {
        String workerId = startWorker(1, "--coderun.worker.dispatch.shutdown-grace=0s");
        DispatchRun run = dispatch(aBusyboxRun().command("sleep 30").timeoutSeconds(60));
        await().atMost(RUN_BOUND).until(() -> topics.eventsOf(run.runId()).stream()
                .anyMatch(RunStarted.class::isInstance));

        long stopping = System.nanoTime();
        workers.stopFirst();

        RunAttempt attempt = new RunAttempt(run.runId(), run.attempt());
        await().atMost(RUN_BOUND).until(() -> topics.heartbeatsOf(workerId).stream()
                .anyMatch(beat -> beat.handedBack().contains(attempt)));
        assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(Duration.ofSeconds(15));
        assertThat(topics.heartbeatsOf(workerId).getLast().handedBack()).contains(attempt);
        assertThat(topics.heartbeatsOf(workerId).getLast().activeRunIds()).isEmpty();
        assertThat(TestWorkers.containersOf(run.runId())).isEmpty();
        // Its last heartbeat went out after the run was killed: had the worker reported the run, it would be there.
        assertThat(topics.finished(run.runId())).isEmpty();
    }

    @Test
    void aWorkerSaysItIsAliveWithItsSlotsAndWhenItStarted() {
        Instant beforeStart = Instant.now();
        String workerId = startWorker(3);
        Instant afterStart = Instant.now();

        await().atMost(RUN_BOUND).until(() -> topics.heartbeatsOf(workerId).size() >= 2);

        WorkerHeartbeat beat = topics.heartbeatsOf(workerId).getFirst();
        assertThat(beat.slots()).isEqualTo(3);
        assertThat(beat.activeRunIds()).isEmpty();
        assertThat(beat.startedAt()).isBetween(beforeStart, afterStart);
        assertThat(topics.heartbeatsOf(workerId)).allSatisfy(later -> {
            assertThat(later.startedAt()).isEqualTo(beat.startedAt());
            assertThat(later.at()).isAfterOrEqualTo(later.startedAt());
        });
    }

    private String startWorker(int slots, String... settings) {
        return workers.start(slots, settings);
    }

    private static DispatchRun dispatch(TestRuns.RunBuilder run) {
        return kafka.dispatch(run);
    }

    private static RunFinished awaitFinished(DispatchRun run) {
        return topics.awaitFinished(run.runId(), RUN_BOUND);
    }

    private static String output(DispatchRun run, OutputStream stream) {
        return topics.output(run.runId(), stream);
    }

    /** The most runs between their RunStarting and their RunFinished at one moment. */
    private static int mostAtOnce(List<DispatchRun> runs) {
        List<Map.Entry<Instant, Integer>> edges = new ArrayList<>();
        for (DispatchRun run : runs) {
            List<RunEvent> events = topics.eventsOf(run.runId());
            edges.add(Map.entry(events.getFirst().at(), 1));
            edges.add(Map.entry(events.getLast().at(), -1));
        }
        edges.sort(Map.Entry.<Instant, Integer>comparingByKey().thenComparing(Map.Entry::getValue));
        int now = 0;
        int most = 0;
        for (Map.Entry<Instant, Integer> edge : edges) {
            now += edge.getValue();
            most = Math.max(most, now);
        }
        return most;
    }
}

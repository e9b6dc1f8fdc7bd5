package dev.coderun.scheduler.topology;

import static dev.coderun.events.fixtures.RunFixtures.T0;
import static dev.coderun.events.fixtures.RunFixtures.aRunSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RunStatus;
import dev.coderun.events.SubmitRun;
import dev.coderun.events.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The scheduler on a real broker: a handle at its queue limit, the largest request the API accepts, and a restart that
 * restores every store from its changelog. The tests share one broker and one scheduler and run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SchedulerIT {

    private static final int MAX_ACTIVE = 8;
    private static final int MAX_QUEUED = 10_000;
    private static final Duration BOUND = Duration.ofSeconds(120);

    private static SchedulerHarness harness;

    @BeforeAll
    static void start() throws Exception {
        harness = new SchedulerHarness();
        harness.startScheduler(MAX_ACTIVE, MAX_QUEUED, false);
        await().atMost(BOUND).until(harness::schedulerRunning);
    }

    @AfterAll
    static void stop() throws Exception {
        harness.close();
    }

    @Test
    @Order(1)
    void aHandleAtItsQueueLimitDoesNotHoldUpAnotherHandlesRun() {
        int flood = MAX_ACTIVE + MAX_QUEUED;
        for (int i = 0; i < flood / 2; i++) {
            harness.sendAsync(Topics.COMMANDS, "flood", new SubmitRun(aRunSpec("flood", floodRun(i)), T0));
        }
        harness.flush();
        // Another handle on whatever partition, submitted while the flood is being decided.
        harness.send(Topics.COMMANDS, "other", new SubmitRun(aRunSpec("other", "other-1"), T0));
        for (int i = flood / 2; i <= flood; i++) {
            harness.sendAsync(Topics.COMMANDS, "flood", new SubmitRun(aRunSpec("flood", floodRun(i)), T0));
        }
        harness.flush();

        await().atMost(BOUND).until(() -> dispatched("other-1"));
        harness.send(Topics.EVENTS, "other", finished("other", "other-1", 1));
        harness.send(Topics.COMMANDS, "other", new SubmitRun(aRunSpec("other", "other-2"), T0));
        await().atMost(BOUND).until(() -> dispatched("other-2"));

        await().atMost(BOUND).until(() -> !harness.eventsOf(floodRun(flood)).isEmpty()
                && harness.eventsOf(floodRun(flood)).getLast() instanceof RunFinished);
        assertThat((RunFinished) harness.eventsOf(floodRun(flood)).getLast()).satisfies(rejected -> {
            assertThat(rejected.status()).isEqualTo(RunStatus.REJECTED);
            assertThat(rejected.error().code()).isEqualTo("queue_full");
        });
        assertThat(harness.eventsOf(floodRun(flood - 1)).getLast()).isInstanceOfSatisfying(RunQueued.class,
                queued -> assertThat(queued.position()).isEqualTo(MAX_QUEUED - 1));
        assertThat(harness.dispatches()).filteredOn(d -> d.spec().handle().equals("flood"))
                .extracting(DispatchRun::runId)
                .containsExactlyInAnyOrder(floodRuns(0, MAX_ACTIVE));
    }

    @Test
    @Order(2)
    void theLargestRequestTheApiAcceptsIsDecidedAndDispatchedWhole() {
        RunSpec largest = largestSpec("big", "big-1");

        harness.send(Topics.COMMANDS, "big", new SubmitRun(largest, T0));

        await().atMost(BOUND).until(() -> dispatched("big-1"));
        DispatchRun dispatch = harness.dispatches().stream().filter(d -> d.runId().equals("big-1")).findFirst()
                .orElseThrow();
        assertThat(dispatch.spec()).isEqualTo(largest);
    }

    @Test
    @Order(3)
    void aRestartedSchedulerRestoresItsQueueFromTheChangelogs() throws Exception {
        harness.stopScheduler();
        harness.startScheduler(MAX_ACTIVE, MAX_QUEUED, true);
        await().atMost(BOUND).until(harness::schedulerRunning);

        for (int i = 0; i < 3; i++) {
            harness.send(Topics.EVENTS, "flood", finished("flood", floodRun(i), 1));
        }

        await().atMost(BOUND).until(() -> harness.dispatches().stream()
                .filter(d -> d.spec().handle().equals("flood")).count() == MAX_ACTIVE + 3);
        assertThat(harness.dispatches()).filteredOn(d -> d.spec().handle().equals("flood"))
                .extracting(DispatchRun::runId)
                .as("oldest first: the three freed slots went to the next three queued runs")
                .containsExactlyInAnyOrder(floodRuns(0, MAX_ACTIVE + 3));
        harness.send(Topics.COMMANDS, "flood", new SubmitRun(aRunSpec("flood", "one-more"), T0));
        await().atMost(BOUND).until(() -> !harness.eventsOf("one-more").isEmpty()
                && harness.eventsOf("one-more").getLast() instanceof RunQueued);
        assertThat(harness.eventsOf("one-more").getLast()).isInstanceOfSatisfying(RunQueued.class,
                queued -> assertThat(queued.position()).as("the restored queue is still full but for three")
                        .isEqualTo(MAX_QUEUED - 3));
    }

    /** A spec as large as the API lets a single run be: 1 MiB of stdin that doubles when escaped, and a full env. */
    static RunSpec largestSpec(String handle, String runId) {
        RunSpec base = aRunSpec(handle, runId);
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < 8; i++) {
            env.put("VAR_" + i, "v".repeat(32 * 1024 - 16));
        }
        return new RunSpec(runId, handle, base.runtime(), base.name(), "cat", base.args(), env,
                "\"".repeat(1024 * 1024), base.cwd(), base.timeoutSeconds(), base.maxOutputBytes(),
                base.maxAttempts(), base.labels(), base.triggeredBy(), base.createdAt());
    }

    private static boolean dispatched(String runId) {
        return harness.dispatches().stream().anyMatch(d -> d.runId().equals(runId));
    }

    private static RunFinished finished(String handle, String runId, int attempt) {
        return new RunFinished(handle, runId, RunStatus.SUCCEEDED, attempt, "w1", 0, 1L, "exited", null,
                OutputSummary.NONE, T0);
    }

    private static String floodRun(int i) {
        return String.format("flood-%05d", i);
    }

    private static String[] floodRuns(int from, int to) {
        return java.util.stream.IntStream.range(from, to).mapToObj(SchedulerIT::floodRun).toArray(String[]::new);
    }
}

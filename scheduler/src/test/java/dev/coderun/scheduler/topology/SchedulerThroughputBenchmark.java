package dev.coderun.scheduler.topology;

import static dev.coderun.events.fixtures.RunFixtures.T0;
import static dev.coderun.events.fixtures.RunFixtures.aRunSpec;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.CancelRun;
import dev.coderun.events.DispatchRun;
import dev.coderun.events.RunQueued;
import dev.coderun.events.SubmitRun;
import dev.coderun.events.Topics;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Decision throughput of the scheduler on a real broker, at a steady queue depth: each round cancels the oldest active
 * run (its slot is released and the head of the queue dispatched, as a finish would) and submits a new run (appended to
 * the queue's tail), so the depth stays put. Both go on the commands topic, so the scheduler sees them in the order
 * sent: a run is always active by the time its cancel arrives.
 * Not part of {@code verify} (no {@code IT} suffix); run it with {@code infra/scripts/bench-scheduler.sh}, which prints
 * commands and events decided per second at depth 10 and 10,000.
 */
class SchedulerThroughputBenchmark {

    private static final int MAX_ACTIVE = 8;
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 5_000);
    /** Each depth on a fresh broker and scheduler, in this order (the first also warms the JVM up). */
    private static final String DEPTHS = System.getProperty("bench.depths", "10,10000");

    @Test
    void decisionsPerSecondAtQueueDepth10And10000() throws Exception {
        for (String d : DEPTHS.split(",")) {
            int depth = Integer.parseInt(d.trim());
            try (SchedulerHarness harness = new SchedulerHarness()) {
                harness.startScheduler(MAX_ACTIVE, 20_000, true);
                await().atMost(Duration.ofMinutes(2)).until(harness::schedulerRunning);
                String handle = "bench";
                int prefill = MAX_ACTIVE + depth;
                for (int i = 0; i < prefill; i++) {
                    harness.sendAsync(Topics.COMMANDS, handle, new SubmitRun(aRunSpec(handle, run(i)), T0));
                }
                harness.flush();
                await().atMost(Duration.ofMinutes(5)).until(() -> harness.count(RunQueued.class) == prefill);

                long start = System.nanoTime();
                for (int i = 0; i < ROUNDS; i++) {
                    harness.sendAsync(Topics.COMMANDS, handle, new CancelRun(handle, run(i), "bench", T0));
                    harness.sendAsync(Topics.COMMANDS, handle,
                            new SubmitRun(aRunSpec(handle, run(prefill + i)), T0));
                }
                harness.flush();
                await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(20)).until(() ->
                        harness.count(DispatchRun.class) == MAX_ACTIVE + ROUNDS
                                && harness.count(RunQueued.class) == prefill + ROUNDS);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("BENCH scheduler depth=%d rounds=%d inputs=%d seconds=%.2f inputs/s=%.0f%n",
                        depth, ROUNDS, 2 * ROUNDS, seconds, 2 * ROUNDS / seconds);
                harness.stopScheduler();
            }
        }
    }

    private static String run(int i) {
        return String.format("bench-%06d", i);
    }
}

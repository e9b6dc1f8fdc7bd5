package dev.coderun.scheduler.topology;

import static dev.coderun.events.fixtures.RunFixtures.aRunSpec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.CancelRun;
import dev.coderun.events.DispatchRun;
import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStatus;
import dev.coderun.events.StopRun;
import dev.coderun.events.SubmitRun;
import dev.coderun.events.Topics;
import dev.coderun.events.WorkerHeartbeat;
import dev.coderun.scheduler.admission.Admission;
import dev.coderun.scheduler.admission.AdmissionPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduler topology with its real state stores, driven without a broker: queued state, leases on the wall clock,
 * dead letters, and the size of what is written per decision.
 */
class SchedulerTopologyTest {

    private static final Instant START = Instant.parse("2026-11-25T12:00:00Z");
    private static final int MAX_ACTIVE = 2;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> commands;
    private TestInputTopic<String, byte[]> events;
    private TestInputTopic<String, byte[]> heartbeats;
    private TestOutputTopic<String, byte[]> eventsOut;
    private TestOutputTopic<String, byte[]> dispatch;
    private TestOutputTopic<String, byte[]> control;
    private TestOutputTopic<String, byte[]> deadLetters;

    @BeforeEach
    void start() {
        open();
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void queuedRunsGoOutOldestFirstAsSlotsFree() {
        for (int i = 0; i < 5; i++) {
            submit("acme", "r" + i);
        }
        assertThat(dispatchedRunIds()).containsExactly("r0", "r1");

        finish("acme", "r0", 1);
        finish("acme", "r1", 1);

        assertThat(dispatchedRunIds()).containsExactly("r2", "r3");
    }

    @Test
    void bytesWrittenPerDecisionDoNotGrowWithTheQueue() {
        for (int i = 0; i < 200; i++) {
            submit("flood", "f" + i);
        }
        TestOutputTopic<String, byte[]> handleChangelog = driver.createOutputTopic(
                "coderun-scheduler-" + SchedulerTopology.HANDLE_STORE + "-changelog",
                new StringDeserializer(), new ByteArrayDeserializer());
        List<TestRecord<String, byte[]>> writes = handleChangelog.readRecordsToList();

        assertThat(writes).hasSizeGreaterThan(150);
        assertThat(writes).allSatisfy(write -> assertThat(write.value().length).isLessThan(1_024));
        submit("other", "o1");
        assertThat(dispatchedRunIds()).endsWith("o1");
    }

    @Test
    void anAttemptWhoseWorkerWentSilentIsDispatchedAgainThenEndsWorkerLost() {
        submit("acme", aRunSpec("acme", "r1", 2));
        dispatchedRunIds();
        starting("acme", "r1", 1, "w1");
        heartbeat("w1", START.minusSeconds(60), START);

        advance(Duration.ofSeconds(10));
        assertThat(dispatch.readRecordsToList()).isEmpty();
        advance(Duration.ofSeconds(7));

        assertThat(dispatch.readValuesToList()).singleElement().satisfies(value ->
                assertThat(((DispatchRun) MessageSerde.fromBytes(value)).attempt()).isEqualTo(2));
        assertThat(controlDirectives()).containsExactly(new StopRun("r1", 1, StopRun.LEASE_EXPIRED, now()));

        starting("acme", "r1", 2, "w1");
        advance(Duration.ofSeconds(16));

        assertThat(schedulerEvents()).last().isInstanceOfSatisfying(RunFinished.class, f -> {
            assertThat(f.status()).isEqualTo(RunStatus.ERRORED);
            assertThat(f.error().code()).isEqualTo("worker_lost");
            assertThat(f.attempt()).isEqualTo(2);
        });
    }

    @Test
    void cancellingAQueuedRunEndsItWithoutADispatch() {
        submit("acme", "r1");
        submit("acme", "r2");
        submit("acme", "r3");
        dispatchedRunIds();

        commands.pipeInput("acme", MessageSerde.toBytes(new CancelRun("acme", "r3", "user:test", START)));
        finish("acme", "r1", 1);

        assertThat(schedulerEvents()).last().satisfies(e -> {
            assertThat(e.runId()).isEqualTo("r3");
            assertThat(e.status()).isEqualTo(RunStatus.CANCELLED);
        });
        assertThat(dispatchedRunIds()).isEmpty();
    }

    @Test
    void aCancelNamingAnotherHandlesQueuedRunChangesNothing() {
        submit("acme", "r1");
        submit("acme", "r2");
        submit("acme", "r3");
        dispatchedRunIds();

        commands.pipeInput("intruder", MessageSerde.toBytes(new CancelRun("intruder", "r3", "user:x", START)));
        finish("acme", "r1", 1);

        assertThat(dispatchedRunIds()).containsExactly("r3");
        assertThat(schedulerEvents()).noneMatch(e -> e.status() == RunStatus.CANCELLED);
    }

    @Test
    void anUnreadableSubmissionIsDeadLetteredItsRunErroredAndProcessingGoesOn() {
        String poison = "{\"type\":\"SubmitRun\",\"version\":1,\"payload\":{\"spec\":{\"run_id\":\"bad-1\","
                + "\"handle\":\"acme\",\"args\":null},\"at\":\"2026-11-25T12:00:00Z\"}}";
        commands.pipeInput("acme", poison.getBytes(StandardCharsets.UTF_8));
        submit("acme", "r1");

        TestRecord<String, byte[]> dead = deadLetters.readRecord();
        assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo(poison);
        assertThat(new String(dead.headers().lastHeader(Topics.HEADER_DLQ_SOURCE).value(), StandardCharsets.UTF_8))
                .startsWith(Topics.COMMANDS);
        List<RunEvent> published = schedulerEvents();
        assertThat(published.getFirst()).isInstanceOfSatisfying(RunFinished.class, f -> {
            assertThat(f.runId()).isEqualTo("bad-1");
            assertThat(f.status()).isEqualTo(RunStatus.ERRORED);
            assertThat(f.error().code()).isEqualTo("internal");
        });
        assertThat(dispatchedRunIds()).containsExactly("r1");
    }

    private void open() {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "coderun-scheduler");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        Admission admission = new Admission(new AdmissionPolicy(MAX_ACTIVE, 10_000, Duration.ofSeconds(15)));
        driver = new TopologyTestDriver(
                SchedulerTopology.build(admission, new DriverClock(), Duration.ofSeconds(1)), config, START);
        StringSerializer keys = new StringSerializer();
        ByteArraySerializer values = new ByteArraySerializer();
        commands = driver.createInputTopic(Topics.COMMANDS, keys, values);
        events = driver.createInputTopic(Topics.EVENTS, keys, values);
        heartbeats = driver.createInputTopic(Topics.HEARTBEATS, keys, values);
        StringDeserializer keysOut = new StringDeserializer();
        ByteArrayDeserializer valuesOut = new ByteArrayDeserializer();
        eventsOut = driver.createOutputTopic(Topics.EVENTS, keysOut, valuesOut);
        dispatch = driver.createOutputTopic(Topics.DISPATCH, keysOut, valuesOut);
        control = driver.createOutputTopic(Topics.CONTROL, keysOut, valuesOut);
        deadLetters = driver.createOutputTopic(Topics.DEAD_LETTER, keysOut, valuesOut);
    }

    /** The driver's wall clock. */
    private Instant now() {
        return START.plus(advanced);
    }

    private void advance(Duration by) {
        advanced = advanced.plus(by);
        driver.advanceWallClockTime(by);
    }

    private Duration advanced = Duration.ZERO;

    /** The driver's wall clock, as the processor's clock. */
    private final class DriverClock extends Clock {
        @Override
        public Instant instant() {
            return now();
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private void submit(String handle, String runId) {
        submit(handle, aRunSpec(handle, runId));
    }

    private void submit(String handle, dev.coderun.events.RunSpec spec) {
        commands.pipeInput(handle, MessageSerde.toBytes(new SubmitRun(spec, START)));
    }

    private void starting(String handle, String runId, int attempt, String worker) {
        events.pipeInput(handle, MessageSerde.toBytes(new RunStarting(handle, runId, attempt, worker, now())));
    }

    private void finish(String handle, String runId, int attempt) {
        events.pipeInput(handle, MessageSerde.toBytes(new RunFinished(handle, runId, RunStatus.SUCCEEDED, attempt, "w1",
                0, 1L, "exited", null, OutputSummary.NONE, now())));
    }

    private void heartbeat(String worker, Instant startedAt, Instant at) {
        heartbeats.pipeInput(worker, MessageSerde.toBytes(new WorkerHeartbeat(worker, 4, List.of(), startedAt, at)));
    }

    private List<String> dispatchedRunIds() {
        return dispatch.readValuesToList().stream().map(v -> MessageSerde.fromBytes(v)).map(m -> ((DispatchRun) m).runId())
                .toList();
    }

    private List<StopRun> controlDirectives() {
        return control.readValuesToList().stream().map(v -> (StopRun) MessageSerde.fromBytes(v)).toList();
    }

    private List<RunEvent> schedulerEvents() {
        return eventsOut.readValuesToList().stream().map(MessageSerde::fromBytes).map(m -> (RunEvent) (Message) m)
                .toList();
    }
}

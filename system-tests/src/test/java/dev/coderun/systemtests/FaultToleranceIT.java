package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.Message;
import dev.coderun.events.MessageSerde;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunStatus;
import dev.coderun.events.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * Every accepted run ends exactly once when a worker or the scheduler is killed with SIGKILL, PostgreSQL restarts
 * under the projector, or a record cannot be processed: checked from the run records a user reads. The tests kill
 * processes of the shared stack and start them again; they run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultToleranceIT {

    /** The scheduler's lease timeout (15 s) and check interval, with room for a loaded CI machine. */
    private static final Duration LEASE_BOUND = Duration.ofSeconds(45);

    private static Stack stack;
    private static Tenant tenant;

    @BeforeAll
    static void tenant() {
        stack = Stack.get();
        tenant = Tenant.create("faults");
    }

    @Test
    @Order(1)
    void aRunWhoseWorkerWasKilledOnItsLastAttemptEndsWorkerLostAndFreesItsSlot() {
        String runId = tenant.submit(Map.of("runtime_key", "busybox", "command", "echo started; sleep 120"));
        tenant.awaitStatus(runId, RunStatus.RUNNING);

        stack.kill("worker");

        JsonNode lost = await("worker_lost").atMost(LEASE_BOUND).pollInterval(Duration.ofMillis(250))
                .until(() -> tenant.run(runId), Tenant::terminal);
        stack.restart("worker");
        assertThat(lost.get("status").asString()).isEqualTo("ERRORED");
        assertThat(lost.get("error").get("code").asString()).isEqualTo("worker_lost");
        assertThat(Tenant.statuses(lost)).endsWith("RUNNING#1", "ERRORED#1");
        // The slot was freed: the handle gets as many runs dispatched at once as before, long before any of them ends.
        List<String> after = IntStream.range(0, Stack.MAX_ACTIVE_PER_HANDLE)
                .mapToObj(i -> tenant.submit(Map.of("runtime_key", "busybox", "command", "sleep 60")))
                .toList();
        await("all " + after.size() + " dispatched").atMost(Duration.ofSeconds(20))
                .until(() -> dispatchedRunIds().containsAll(after));
        for (String id : after) {
            assertThat(Tenant.terminal(tenant.run(id))).isFalse();
            tenant.api.post(tenant.runs() + "/" + id + "/cancel", null);
            tenant.awaitStatus(id, RunStatus.CANCELLED);
        }
    }

    @Test
    @Order(2)
    void aRunWhoseWorkerRestartedIsRunAgainAsItsNextAttemptAndNeverTwiceAtOnce() {
        String runId = tenant.submit(Map.of(
                "runtime_key", "busybox", "command", "echo attempt; sleep 5; echo done", "max_attempts", 2));
        tenant.awaitStatus(runId, RunStatus.RUNNING);

        stack.kill("worker");
        stack.restart("worker");

        JsonNode run = tenant.awaitRun(runId, Tenant::terminal);
        assertThat(run.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(run.get("attempt").asInt()).isEqualTo(2);
        assertThat(Tenant.statuses(run)).containsSubsequence("RUNNING#1", "QUEUED#2", "STARTING#2", "RUNNING#2",
                "SUCCEEDED#2");
        assertThat(Tenant.mostAtOnce(Tenant.runningIntervals(run))).isEqualTo(1);
        assertThat(tenant.completeOutput(run).get("stdout").asString()).isEqualTo("attempt\ndone\n");
    }

    @Test
    @Order(3)
    void aSchedulerKilledWhileABatchIsInFlightLosesNoRunRunsNoneTwiceAndKeepsCapacity() {
        Tenant other = Tenant.create("faults-b");
        List<String> ids = new ArrayList<>();
        List<String> otherIds = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            if (i == 8) {
                stack.kill("scheduler");
            }
            Map<String, Object> request = Map.of("runtime_key", "busybox", "command", "sleep 0.3; echo " + i);
            (i % 2 == 0 ? ids : otherIds).add((i % 2 == 0 ? tenant : other).submit(request));
        }
        stack.restart("scheduler");

        List<Tenant.Interval> all = new ArrayList<>();
        for (var group : List.of(Map.entry(tenant, ids), Map.entry(other, otherIds))) {
            List<Tenant.Interval> handleIntervals = new ArrayList<>();
            for (String id : group.getValue()) {
                JsonNode run = group.getKey().awaitRun(id, Tenant::terminal);
                assertThat(run.get("status").asString()).as(id).isEqualTo("SUCCEEDED");
                assertThat(Tenant.statuses(run).stream().filter(s -> s.startsWith("SUCCEEDED"))).hasSize(1);
                assertThat(Tenant.runningIntervals(run)).as("ran once").hasSize(1);
                handleIntervals.addAll(Tenant.runningIntervals(run));
            }
            assertThat(Tenant.mostAtOnce(handleIntervals)).isLessThanOrEqualTo(Stack.MAX_ACTIVE_PER_HANDLE);
            all.addAll(handleIntervals);
        }
        assertThat(Tenant.mostAtOnce(all)).isLessThanOrEqualTo(Stack.WORKER_SLOTS);
    }

    @Test
    @Order(4)
    void aRecordTheSchedulerCannotReadIsDeadLetteredItsRunErroredAndProcessingGoesOn() {
        String poisonRunId = UUID.randomUUID().toString();
        String poison = "{\"type\":\"SubmitRun\",\"version\":1,\"payload\":{\"spec\":{\"run_id\":\"" + poisonRunId
                + "\",\"handle\":\"" + tenant.handle + "\",\"args\":null},\"at\":\"2026-11-25T12:00:00Z\"}}";
        List<ConsumerRecord<String, byte[]>> seen = new CopyOnWriteArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker.bootstrapServers()),
                        new StringSerializer(), new ByteArraySerializer());
                KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker.bootstrapServers(),
                                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                        new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>(List.of(new TopicPartition(Topics.DEAD_LETTER, 0)));
            IntStream.range(0, Topics.HANDLE_PARTITIONS)
                    .forEach(p -> partitions.add(new TopicPartition(Topics.EVENTS, p)));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            producer.send(new ProducerRecord<>(Topics.COMMANDS, tenant.handle,
                    poison.getBytes(StandardCharsets.UTF_8)));
            producer.flush();

            await("the dead letter and the run's end").atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
                return deadLetter(seen, poison) && erroredInternal(seen, poisonRunId);
            });
        }
        assertThat(tenant.runToEnd(Map.of("runtime_key", "busybox", "command", "echo after")).get("status")
                .asString()).isEqualTo("SUCCEEDED");
    }

    @Test
    @Order(4)
    void recordsTheProjectorCannotApplyAreDeadLetteredAloneAndTheRunsAroundThemAreProjected() {
        byte[] unreadable = "{\"type\":\"RunPaused\",\"version\":1,\"payload\":{}}".getBytes(StandardCharsets.UTF_8);
        byte[] refused = MessageSerde.toBytes(new RunQueued(tenant.handle, "not-a-run-id", 1, 0, Instant.now()));
        List<String> before = IntStream.range(0, 3)
                .mapToObj(i -> tenant.submit(Map.of("runtime_key", "busybox", "command", "echo before " + i)))
                .toList();
        // Keyed by the handle, as the workers and the scheduler key events: the same partition as the runs' events.
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.EVENTS, tenant.handle, unreadable));
            producer.send(new ProducerRecord<>(Topics.EVENTS, tenant.handle, refused));
            producer.flush();
        }
        List<String> after = IntStream.range(0, 3)
                .mapToObj(i -> tenant.submit(Map.of("runtime_key", "busybox", "command", "echo after " + i)))
                .toList();

        for (String id : Stream.concat(before.stream(), after.stream()).toList()) {
            JsonNode run = tenant.awaitRun(id, Tenant::terminal);
            assertThat(run.get("status").asString()).as(id).isEqualTo("SUCCEEDED");
            assertThat(Tenant.statuses(run)).containsExactly(
                    "PENDING#0", "QUEUED#1", "STARTING#1", "RUNNING#1", "SUCCEEDED#1");
        }
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker.bootstrapServers(),
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> deadLetters = consumer.partitionsFor(Topics.DEAD_LETTER).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            consumer.assign(deadLetters);
            consumer.seekToBeginning(deadLetters);
            // The scheduler reads the events topic too and dead-letters what it cannot read on its own account, with
            // the exception as its reason; the projector's reason starts with its failure kind. Either may come first.
            String unreadableText = new String(unreadable, StandardCharsets.UTF_8);
            String refusedText = new String(refused, StandardCharsets.UTF_8);
            Map<String, List<String>> reasons = new HashMap<>();
            await("both records dead-lettered by the projector").atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, byte[]> dead : consumer.poll(Duration.ofMillis(200))) {
                    if (dead.value() != null && dead.headers().lastHeader(Topics.HEADER_DLQ_REASON) != null) {
                        reasons.computeIfAbsent(new String(dead.value(), StandardCharsets.UTF_8),
                                        value -> new ArrayList<>())
                                .add(new String(dead.headers().lastHeader(Topics.HEADER_DLQ_REASON).value(),
                                        StandardCharsets.UTF_8));
                    }
                }
                return reasons.getOrDefault(unreadableText, List.of()).stream()
                                .anyMatch(reason -> reason.startsWith("unreadable: "))
                        && reasons.getOrDefault(refusedText, List.of()).stream()
                                .anyMatch(reason -> reason.startsWith("other: "));
            });
            assertThat(reasons.get(refusedText)).filteredOn(reason -> reason.startsWith("other: "))
                    .allMatch(reason -> reason.contains("not-a-run-id"));
        }
    }

    @Test
    @Order(5)
    void aPostgresRestartUnderTheProjectorLosesNoTransition() {
        List<String> ids = IntStream.range(0, 6)
                .mapToObj(i -> tenant.submit(Map.of("runtime_key", "busybox", "command", "sleep 1; echo " + i)))
                .toList();

        stack.restartPostgres(Duration.ofSeconds(4));

        for (int i = 0; i < ids.size(); i++) {
            JsonNode run = tenant.awaitRun(ids.get(i), Tenant::terminal);
            assertThat(run.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(Tenant.statuses(run)).containsExactly(
                    "PENDING#0", "QUEUED#1", "STARTING#1", "RUNNING#1", "SUCCEEDED#1");
            assertThat(tenant.completeOutput(run).get("stdout").asString()).isEqualTo(i + "\n");
        }
    }

    @Test
    @Order(6)
    void whileKafkaIsDownASubmissionIsNotAcceptedAndAcceptedWorkIsKept() {
        String before = tenant.submit(Map.of("runtime_key", "busybox", "command", "sleep 2; echo kept"));
        tenant.awaitStatus(before, RunStatus.RUNNING);

        stack.stopBroker();
        Api.Response refused;
        try {
            refused = tenant.api.post(tenant.runs(), Map.of("runtime_key", "busybox", "command", "echo refused"));
        } finally {
            stack.startBroker();
        }

        // 503 when the producer could not even take the command (no metadata); 504 when it took it and its delivery
        // time ran out: the gateway cannot tell a closed port from a broker that read the request and went silent, so
        // it names the run, which may yet land.
        assertThat(refused.status()).as(refused.body().toString()).isIn(503, 504);
        if (refused.status() == 503) {
            assertThat(refused.error().get("code").asString()).isEqualTo("upstream_unavailable");
        } else {
            assertThat(refused.error().get("code").asString()).isEqualTo("upstream_timeout");
            assertThat(refused.error().path("run").path("id").asString()).isNotBlank();
        }
        JsonNode kept = tenant.awaitRun(before, Tenant::terminal);
        assertThat(kept.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(tenant.completeOutput(kept).get("stdout").asString()).isEqualTo("kept\n");
        JsonNode after = tenant.awaitRun(
                await("a submission once Kafka is back").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> tenant.api.post(tenant.runs(), Map.of("runtime_key", "busybox", "command",
                                "echo after")), r -> r.status() == 202)
                        .data().get("id").asString(),
                Tenant::terminal);
        assertThat(after.get("status").asString()).isEqualTo("SUCCEEDED");
    }

    /** Every run id the scheduler dispatched so far (read-committed, from the dispatch topic's beginning). */
    private static List<String> dispatchedRunIds() {
        return Commands.readAll(stack, Topics.DISPATCH).stream().map(ConsumerRecord::key).toList();
    }

    private static boolean deadLetter(List<ConsumerRecord<String, byte[]>> seen, String poison) {
        return seen.stream().anyMatch(r -> r.topic().equals(Topics.DEAD_LETTER)
                && new String(r.value(), StandardCharsets.UTF_8).equals(poison)
                && r.headers().lastHeader(Topics.HEADER_DLQ_REASON) != null);
    }

    private static boolean erroredInternal(List<ConsumerRecord<String, byte[]>> seen, String runId) {
        return seen.stream().filter(r -> r.topic().equals(Topics.EVENTS))
                .flatMap(r -> readable(r).stream())
                .anyMatch(e -> e instanceof RunFinished f && f.runId().equals(runId)
                        && f.status() == RunStatus.ERRORED && f.error().code().equals("internal"));
    }

    /** The record's message; empty for the unreadable records a test of this class put on the events topic. */
    private static Optional<Message> readable(ConsumerRecord<String, byte[]> record) {
        try {
            return Optional.of(MessageSerde.fromBytes(record.value()));
        } catch (RuntimeException unreadable) {
            return Optional.empty();
        }
    }
}

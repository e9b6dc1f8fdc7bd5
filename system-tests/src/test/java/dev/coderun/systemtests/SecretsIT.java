package dev.coderun.systemtests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.SecretKeyRing;
import dev.coderun.events.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * Secrets stay secret (SPEC §4–§5): a runtime's {@code secrets} and a run's {@code secret_env} reach the container
 * (proved by the SHA-256 the process prints of each value, never the value itself), on the cold and the warm (exec)
 * path, through submit, batch and exec; and then no trace of any value, nor of its base64 or hex, is found in any API
 * answer, any log line of any service, any record of any Kafka topic (internal, changelog and repartition topics
 * included, read uncommitted), or any row of the stack's database. The tests run in order: the last one searches for
 * everything the others sent.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecretsIT {

    private static final String RUNTIME = "secretbox";
    /** Prints the SHA-256 of each named variable's value and the plain one, so output proves the value, not shows it. */
    private static final String PRINT_HASHES = "for v in \"$RT_SECRET\" \"$RUN_SECRET\"; do printf %s \"$v\""
            + " | sha256sum | cut -c1-64; done; echo \"plain=$PLAIN\"";

    private static Stack stack;
    private static Tenant tenant;
    /** Every secret value sent: each is searched for everywhere at the end. */
    private static final List<String> MARKERS = new ArrayList<>();
    /** Every answer of the API the test read. */
    private static final List<String> ANSWERS = new ArrayList<>();
    private static String runtimeSecret;

    @BeforeAll
    static void aRuntimeWithASecret() {
        stack = Stack.get();
        tenant = Tenant.create("secrets");
        runtimeSecret = marker("rt");
        Api.Response put = putRuntime(Map.of("RT_SECRET", runtimeSecret));
        assertThat(put.status()).as(put.body().toString()).isEqualTo(201);
        assertThat(put.data().get("secret_names").toString()).isEqualTo("[\"RT_SECRET\"]");
        Api.Response validated = answer(tenant.api.post(runtimePath() + "/validate-image", null));
        assertThat(validated.data().get("validation").get("status").asString()).isEqualTo("VALID");
    }

    @Test
    @Order(1)
    void theSameSecretsChangeNothingLeavingThemOutKeepsThemAndNewOnesAreAnUpdate() {
        Api.Response same = putRuntime(Map.of("RT_SECRET", runtimeSecret));
        assertThat(same.status()).isEqualTo(200);
        assertThat(same.data().get("version").asLong()).isEqualTo(1);
        assertThat(same.raw().headers().firstValue("ETag")).contains("\"1\"");

        Api.Response kept = putRuntime(null);
        assertThat(kept.status()).isEqualTo(200);
        assertThat(kept.data().get("version").asLong()).as("secrets left out are kept: nothing changed").isEqualTo(1);
        assertThat(kept.data().get("secret_names").toString()).isEqualTo("[\"RT_SECRET\"]");

        Api.Response clash = answer(tenant.api.put(runtimePath(), Map.of(
                "image", image(), "env", Map.of("RT_SECRET", "plain"), "secrets", Map.of("RT_SECRET", marker("clash")))));
        assertThat(clash.status()).isEqualTo(422);
        assertThat(clash.body().get("error").get("details").get(0).get("field").asString())
                .isEqualTo("secrets.RT_SECRET");

        Api.Response list = answer(tenant.api.get("/v2/handles/" + tenant.handle + "/code-runtimes"));
        assertThat(list.status()).isEqualTo(200);
        answer(tenant.api.get(runtimePath()));
    }

    @Test
    @Order(2)
    void aRunGetsTheRuntimesSecretsAndItsOwnInItsContainerColdAndWarm() {
        String runSecret = marker("run");
        List<String> runIds = new ArrayList<>();
        boolean ranWarm = false;
        // The first run starts cold and makes the worker keep warm containers for the runtime; a later one runs in one
        // of them (its waiting shell is given the run's env). Bounded: at most eight runs.
        for (int i = 0; i < 8 && !ranWarm; i++) {
            Api.Response submitted = answer(tenant.api.post(tenant.runs(), Map.of(
                    "runtime_key", RUNTIME, "command", PRINT_HASHES, "env", Map.of("PLAIN", "visible"),
                    "secret_env", Map.of("RUN_SECRET", runSecret))));
            assertThat(submitted.status()).as(submitted.body().toString()).isEqualTo(202);
            assertThat(submitted.data().get("secret_env_names").toString()).isEqualTo("[\"RUN_SECRET\"]");
            String runId = submitted.data().get("id").asString();
            runIds.add(runId);
            JsonNode run = tenant.awaitRun(runId, Tenant::terminal);
            assertThat(run.get("status").asString()).as(run.toString()).isEqualTo("SUCCEEDED");
            JsonNode output = tenant.completeOutput(run);
            assertThat(output.get("stdout").asString())
                    .isEqualTo(sha256(runtimeSecret) + "\n" + sha256(runSecret) + "\nplain=visible\n");
            ranWarm = ranInWarmContainer(runId);
        }
        assertThat(ranWarm).as("one of runs %s ran in a warm container", runIds).isTrue();

        for (String runId : runIds) {
            JsonNode run = answer(tenant.api.get(tenant.runs() + "/" + runId)).data();
            assertThat(run.get("secret_env_names").toString()).isEqualTo("[\"RUN_SECRET\"]");
            assertThat(run.get("env").toString()).isEqualTo("{\"PLAIN\":\"visible\"}");
            answer(tenant.api.get(tenant.runs() + "/" + runId + "/output"));
            try (SseClient events = SseClient.open(stack.gatewayUrl + tenant.runs() + "/" + runId + "/events",
                    tenant.api.token(), Map.of())) {
                await("the run's event stream to end").atMost(Duration.ofSeconds(30)).until(events::ended);
                ANSWERS.add(events.events.toString());
            }
        }
        answer(tenant.api.get(tenant.runs() + "?limit=50"));
    }

    @Test
    @Order(3)
    void aReplayAnswersNamesOnlyAndAnotherSecretUnderTheSameKeyIsRefused() {
        String secret = marker("idem");
        Map<String, Object> request = Map.of("runtime_key", RUNTIME, "command", "true",
                "secret_env", Map.of("RUN_SECRET", secret));
        Map<String, String> key = Map.of("Idempotency-Key", "secrets-" + UUID.randomUUID());

        Api.Response first = answer(tenant.api.send("POST", tenant.runs(), request, key));
        Api.Response replay = answer(tenant.api.send("POST", tenant.runs(), request, key));
        Api.Response other = answer(tenant.api.send("POST", tenant.runs(), Map.of("runtime_key", RUNTIME,
                "command", "true", "secret_env", Map.of("RUN_SECRET", marker("idem-other"))), key));

        assertThat(first.status()).isEqualTo(202);
        assertThat(replay.status()).isEqualTo(202);
        assertThat(replay.raw().headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(replay.data().get("id")).isEqualTo(first.data().get("id"));
        assertThat(replay.data().get("secret_env_names").toString()).isEqualTo("[\"RUN_SECRET\"]");
        assertThat(other.status()).isEqualTo(422);
        assertThat(other.body().get("error").get("code").asString()).isEqualTo("idempotency_key_reused");
        tenant.awaitRun(first.data().get("id").asString(), Tenant::terminal);
    }

    @Test
    @Order(4)
    void batchItemsAndExecCarrySecretEnvToo() {
        String batchSecret = marker("batch");
        Api.Response batch = answer(tenant.api.post(tenant.runs() + "/batch", Map.of("runs", List.of(
                Map.of("runtime_key", RUNTIME, "command", "printf %s \"$RUN_SECRET\" | sha256sum | cut -c1-64",
                        "secret_env", Map.of("RUN_SECRET", batchSecret)),
                Map.of("runtime_key", RUNTIME, "command", "true", "env", Map.of("DUP", "plain"),
                        "secret_env", Map.of("DUP", marker("batch-clash")))))));
        assertThat(batch.status()).isEqualTo(200);
        JsonNode accepted = batch.data().get(0);
        assertThat(accepted.get("status").asInt()).isEqualTo(202);
        assertThat(batch.data().get(1).get("status").asInt()).isEqualTo(422);
        JsonNode run = tenant.awaitRun(accepted.get("run").get("id").asString(), Tenant::terminal);
        assertThat(tenant.completeOutput(run).get("stdout").asString()).isEqualTo(sha256(batchSecret) + "\n");

        String execSecret = marker("exec");
        Api.Response exec = answer(tenant.api.post("/v1/runtimes/" + RUNTIME + "/exec", Map.of(
                "command", "printf %s \"$EXEC_SECRET$RT_SECRET\" | sha256sum | cut -c1-64",
                "secret_env", Map.of("EXEC_SECRET", execSecret))));
        assertThat(exec.status()).as(exec.body().toString()).isEqualTo(200);
        assertThat(exec.data().get("stdout").asString()).isEqualTo(sha256(execSecret + runtimeSecret) + "\n");
    }

    @Test
    @Order(5)
    void aBadSecretIsRefusedNamingItsFieldNeverItsValue() {
        String tooLong = marker("long") + "x".repeat(32 * 1024);
        Api.Response refused = answer(tenant.api.post(tenant.runs(), Map.of("runtime_key", RUNTIME,
                "command", "true", "secret_env", Map.of("LONG", tooLong, "9BAD", marker("badname")))));

        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.body().get("error").get("details").toString())
                .contains("secret_env.LONG").contains("secret_env.9BAD");
        Api.Response malformed = answer(tenant.api.send("POST", tenant.runs(), "{\"runtime_key\":\"" + RUNTIME
                + "\",\"command\":\"true\",\"secret_env\":{\"A\":" + marker("unquoted") + "}}", Map.of()));
        assertThat(malformed.status()).isEqualTo(422);
    }

    @Test
    @Order(6)
    void afterAKeyRotationTheRuntimeIsSealedUnderTheNewKeyAndItsRunsStillGetTheSecret() throws Exception {
        stack.rotateSecretsKey("it2");

        await("the runtime's secrets resealed under it2").atMost(Duration.ofSeconds(30))
                .until(() -> sealedRuntimeSecrets().startsWith("v1.it2."));
        assertThat(stack.secretsKeyRing().open(sealedRuntimeSecrets(), "runtime " + tenant.handle + "/" + RUNTIME))
                .containsExactly(Map.entry("RT_SECRET", runtimeSecret));
        Api.Response same = putRuntime(Map.of("RT_SECRET", runtimeSecret));
        assertThat(same.data().get("version").asLong()).as("the same secrets, fingerprinted again under it2")
                .isEqualTo(1);
        String runSecret = marker("rotated");
        JsonNode run = tenant.runToEnd(Map.of("runtime_key", RUNTIME, "command", PRINT_HASHES,
                "env", Map.of("PLAIN", "p"), "secret_env", Map.of("RUN_SECRET", runSecret)));
        assertThat(tenant.completeOutput(run).get("stdout").asString())
                .isEqualTo(sha256(runtimeSecret) + "\n" + sha256(runSecret) + "\nplain=p\n");
    }

    @Test
    @Order(7)
    void noSecretValueIsInAnyAnswerLogTopicOrRow() throws Exception {
        List<String> traces = new ArrayList<>();
        for (int i = 0; i < ANSWERS.size(); i++) {
            traces.addAll(tracesIn("API answer " + i, ANSWERS.get(i).getBytes(UTF_8)));
        }
        int logFiles = 0;
        try (Stream<Path> logs = Files.list(stack.logDirectory())) {
            for (Path log : logs.toList()) {
                logFiles++;
                traces.addAll(tracesIn("log " + log.getFileName(), Files.readAllBytes(log)));
            }
        }
        int records = 0;
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker.bootstrapServers()))) {
            var names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
            assertThat(names).contains(Topics.COMMANDS, Topics.DISPATCH, Topics.EVENTS, Topics.OUTPUT)
                    .anyMatch(name -> name.endsWith("-changelog"));
            for (TopicDescription topic : admin.describeTopics(names).allTopicNames().get().values()) {
                for (ConsumerRecord<byte[], byte[]> record : readAll(topic)) {
                    records++;
                    String where = "record " + topic.name() + "-" + record.partition() + "@" + record.offset();
                    traces.addAll(tracesIn(where + " key", record.key()));
                    traces.addAll(tracesIn(where + " value", record.value()));
                    for (Header header : record.headers()) {
                        traces.addAll(tracesIn(where + " header " + header.key(), header.value()));
                    }
                }
            }
        }
        int rows = 0;
        try (var db = stack.database(); var tables = db.createStatement().executeQuery(
                "select tablename from pg_tables where schemaname = 'public'")) {
            List<String> names = new ArrayList<>();
            while (tables.next()) {
                names.add(tables.getString(1));
            }
            for (String table : names) {
                try (var all = db.createStatement().executeQuery("select t::text from \"" + table + "\" t")) {
                    while (all.next()) {
                        rows++;
                        traces.addAll(tracesIn("row of " + table, all.getString(1).getBytes(UTF_8)));
                    }
                }
            }
        }

        assertThat(MARKERS).hasSizeGreaterThan(8);
        String control = MARKERS.getFirst();
        assertThat(tracesIn("control", ("x" + control).getBytes(UTF_8))).as("the search finds a value").isNotEmpty();
        assertThat(tracesIn("control", Base64.getEncoder().encode(("ab" + control + "c").getBytes(UTF_8))))
                .as("the search finds a value's base64 at any alignment").isNotEmpty();
        assertThat(tracesIn("control", ("\\x" + HexFormat.of().formatHex(control.getBytes(UTF_8))).getBytes(UTF_8)))
                .as("the search finds a value in a bytea column").isNotEmpty();
        System.out.printf("SecretsIT searched %d markers in %d API answers, %d log files, %d records, %d rows%n",
                MARKERS.size(), ANSWERS.size(), logFiles, records, rows);
        assertThat(records).as("records read").isPositive();
        assertThat(rows).as("rows read").isPositive();
        assertThat(traces).as("traces of secret values").isEmpty();
    }

    private static Api.Response putRuntime(Map<String, String> secrets) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("image", image());
        body.put("sandbox", Map.of("timeout_seconds", 20));
        if (secrets != null) {
            body.put("secrets", secrets);
        }
        return answer(tenant.api.put(runtimePath(), body));
    }

    private static Map<String, String> image() {
        return Map.of("uri", Tenant.REGISTRY + "/coderun/busybox",
                "digest", Tenant.digestOf("coderun/busybox", "latest"));
    }

    private static String runtimePath() {
        return "/v2/handles/" + tenant.handle + "/code-runtimes/" + RUNTIME;
    }

    private static Api.Response answer(Api.Response response) {
        ANSWERS.add(response.raw().headers().map() + " " + response.raw().body());
        return response;
    }

    private static String sealedRuntimeSecrets() throws Exception {
        try (var db = stack.database(); var query = db.prepareStatement(
                "select secrets_sealed from runtimes where handle = ? and key = ?")) {
            query.setString(1, tenant.handle);
            query.setString(2, RUNTIME);
            try (var row = query.executeQuery()) {
                row.next();
                return row.getString(1);
            }
        }
    }

    /** Whether the worker's log says the run ran in a warm container (the line carries the run id). */
    private static boolean ranInWarmContainer(String runId) {
        try (Stream<Path> logs = Files.list(stack.logDirectory())) {
            for (Path log : logs.filter(p -> p.getFileName().toString().startsWith("worker")).toList()) {
                for (String line : Files.readAllLines(log)) {
                    if (line.contains(runId) && line.contains("running in warm container")) {
                        return true;
                    }
                }
            }
            return false;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A unique value no code or fixture could hold by chance. */
    private static String marker(String kind) {
        String marker = "sec-" + kind + "-" + UUID.randomUUID().toString().replace("-", "");
        MARKERS.add(marker);
        return marker;
    }

    /** Where each marker shows in {@code bytes}: as UTF-8, hex, or base64 in either alphabet at any alignment. */
    private static List<String> tracesIn(String where, byte[] bytes) {
        if (bytes == null) {
            return List.of();
        }
        String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
        List<String> found = new ArrayList<>();
        for (String marker : MARKERS) {
            for (String form : forms(marker)) {
                if (text.contains(form)) {
                    found.add(where + " holds " + form);
                }
            }
        }
        return found;
    }

    private static List<String> forms(String marker) {
        byte[] raw = marker.getBytes(UTF_8);
        List<String> forms = new ArrayList<>(List.of(marker, HexFormat.of().formatHex(raw)));
        for (int offset = 0; offset < 3; offset++) {
            byte[] shifted = new byte[offset + raw.length];
            System.arraycopy(raw, 0, shifted, offset, raw.length);
            String encoded = Base64.getEncoder().withoutPadding().encodeToString(shifted);
            // The characters that depend on the marker's bytes only: skip those mixed with the prefix, and the tail.
            int from = offset == 0 ? 0 : (offset * 8 + 5) / 6 + 1;
            String core = encoded.substring(from, encoded.length() - 2);
            forms.add(core);
            forms.add(core.replace('+', '-').replace('/', '_'));
        }
        return forms;
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(TopicDescription topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker.bootstrapServers(),
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted",
                        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_REQUEST_BYTES),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = topic.partitions().stream()
                    .map(p -> new TopicPartition(topic.name(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            await("all of " + topic.name()).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ZERO).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p));
            });
            return records;
        }
    }

    private static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

package dev.coderun.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pins the wire format: each message type serializes exactly as its golden file says, and the golden file reads back
 * to an equal message. Changing a golden file is a wire change: bump the version in {@link MessageCatalog} or keep it
 * additive. Run with {@code -Dgolden.update=true} to rewrite the files after an intended change.
 */
class WireFormatGoldenTest {

    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    static Stream<Message> samples() {
        return SampleMessages.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void everyMessageMatchesItsGoldenFile(Message message) throws IOException {
        MessageCatalog.MessageType type = MessageCatalog.typeOf(message.getClass());
        Path file = GOLDEN.resolve(type.name() + ".v" + type.version() + ".json");
        String actual = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(MessageSerde.toJson(message)));
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(file, actual + "\n", StandardCharsets.UTF_8);
        }
        String golden = Files.readString(file, StandardCharsets.UTF_8);

        JsonNode expectedTree = JSON.readTree(golden);
        assertThat(JSON.readTree(actual)).isEqualTo(expectedTree);
        Message readBack = MessageSerde.fromJson(golden);
        assertThat(MessageSerde.toJson(readBack)).isEqualTo(MessageSerde.toJson(message));
        // Bytes as a producer writes them take the one-pass read; the same message comes out.
        assertThat(MessageSerde.toJson(MessageSerde.fromBytes(MessageSerde.toBytes(message))))
                .isEqualTo(MessageSerde.toJson(readBack));
        assertThat(MessageSerde.toJson(MessageSerde.fromBytes(golden.getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(MessageSerde.toJson(readBack));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void anEnvelopeWithItsPayloadFirstReadsTheSame(Message message) {
        JsonNode envelope = JSON.readTree(MessageSerde.toJson(message));
        String reordered = "{\"payload\":" + envelope.get("payload") + ",\"extra\":{\"x\":[1]},\"version\":"
                + envelope.get("version") + ",\"type\":" + envelope.get("type") + "}";

        assertThat(MessageSerde.toJson(MessageSerde.fromBytes(reordered.getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(MessageSerde.toJson(message));
    }

    @Test
    void everyConcreteMessageTypeIsCataloguedAndSampled() {
        Set<Class<?>> concrete = new HashSet<>();
        collectRecords(Message.class, concrete);
        assertThat(MessageCatalog.all().keySet()).containsExactlyInAnyOrderElementsOf(
                concrete.stream().map(c -> c.asSubclass(Message.class)).toList());
        assertThat(SampleMessages.all()).extracting(Object::getClass).containsExactlyInAnyOrderElementsOf(concrete);
    }

    @Test
    void unknownFieldsAreIgnoredSoAdditiveChangesStayCompatible() {
        String json = "{\"type\":\"RunQueued\",\"version\":1,\"payload\":{\"handle\":\"acme\",\"run_id\":\"r1\","
                + "\"position\":2,\"at\":\"2026-11-23T10:15:30Z\",\"added_later\":true}}";

        assertThat(MessageSerde.fromJson(json)).isInstanceOf(RunQueued.class)
                .satisfies(m -> {
                    assertThat(((RunQueued) m).position()).isEqualTo(2);
                    assertThat(((RunQueued) m).attempt()).as("a field an older producer did not write").isZero();
                });
    }

    @Test
    void contentAfterTheEnvelopeIsRefusedAsATreeReadRefusesIt() {
        String json = "{\"type\":\"RunQueued\",\"version\":1,\"payload\":{\"handle\":\"acme\",\"run_id\":\"r1\","
                + "\"position\":2,\"at\":\"2026-11-23T10:15:30Z\"}}";

        assertThat(MessageSerde.fromBytes(json.getBytes(StandardCharsets.UTF_8))).isInstanceOf(RunQueued.class);
        assertThatThrownBy(() -> MessageSerde.fromBytes((json + " {}").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> MessageSerde.fromJson(json + " {}")).isInstanceOf(RuntimeException.class);
    }

    @Test
    void aHeartbeatOfAWorkerWithoutTheFleetFieldsReadsAsActive() {
        String json = "{\"type\":\"WorkerHeartbeat\",\"version\":1,\"payload\":{\"worker_id\":\"worker-a\","
                + "\"slots\":4,\"active_run_ids\":[\"r1\"],\"started_at\":\"2026-11-23T10:14:30Z\","
                + "\"at\":\"2026-11-23T10:15:30Z\"}}";

        WorkerHeartbeat heartbeat = (WorkerHeartbeat) MessageSerde.fromJson(json);

        assertThat(heartbeat.state()).isEqualTo(WorkerHeartbeat.ACTIVE);
        assertThat(heartbeat.activeRunIds()).containsExactly("r1");
        assertThat(heartbeat.runs()).isEmpty();
        assertThat(heartbeat.host()).isNull();
        assertThat(heartbeat.drainDeadline()).isNull();
        assertThat(heartbeat.handedBack()).isEmpty();
    }

    @Test
    void aTypeOrVersionThisBuildDoesNotKnowIsRefused() {
        assertThatThrownBy(() -> MessageSerde.fromJson("{\"type\":\"RunTeleported\",\"version\":1,\"payload\":{}}"))
                .isInstanceOf(MessageSerde.UnknownMessageException.class);
        assertThatThrownBy(() -> MessageSerde.fromJson("{\"type\":\"RunQueued\",\"version\":9,\"payload\":{}}"))
                .isInstanceOf(MessageSerde.UnknownMessageException.class)
                .hasMessageContaining("version 9");
        assertThatThrownBy(() -> MessageSerde.fromBytes(
                        "{\"type\":\"RunTeleported\",\"version\":1,\"payload\":{}}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MessageSerde.UnknownMessageException.class);
        assertThatThrownBy(() -> MessageSerde.fromBytes(
                        "{\"type\":\"RunQueued\",\"version\":9,\"payload\":{}}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MessageSerde.UnknownMessageException.class)
                .hasMessageContaining("version 9");
    }

    private static void collectRecords(Class<?> type, Set<Class<?>> into) {
        if (type.isRecord()) {
            into.add(type);
        }
        if (type.isSealed()) {
            Arrays.stream(type.getPermittedSubclasses()).forEach(sub -> collectRecords(sub, into));
        }
    }
}

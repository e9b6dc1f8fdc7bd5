package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The SSE routes against the real stack: a run's stream (history, live transitions, output, close), the handle's
 * stream resumed with Last-Event-ID across a disconnect, and what another handle's token sees.
 */
class StreamsIT {

    private static final Duration BOUND = Tenant.RUN_BOUND;
    private static Tenant tenant;
    private static String token;

    @BeforeAll
    static void tenant() {
        tenant = Tenant.create("streams");
        token = tokenFor(tenant);
    }

    private static String tokenFor(Tenant t) {
        return Api.token(Stack.JWT_SECRET, "user:it", List.of(t.handle), "runtimes:read runs:read runs:write");
    }

    private static String url(String path) {
        return Stack.get().gatewayUrl + path;
    }

    private static List<String> transitions(List<SseClient.Event> events, String runId) {
        return events.stream()
                .filter(e -> e.event().equals("transition") && e.data().get("run_id").asString().equals(runId))
                .map(e -> e.data().get("status").asString() + "#" + e.data().get("attempt").asInt())
                .toList();
    }

    @Test
    void aRunsStreamSendsItsTransitionsInOrderThenItsOutputAndClosesAfterTheEnd() {
        String runId = tenant.submit(Map.of("runtime_key", "busybox",
                "command", "sleep 1; echo hello; echo oops >&2"));

        try (SseClient stream = SseClient.open(url(tenant.runs() + "/" + runId + "/events"), token, Map.of())) {
            assertThat(stream.status).as(String.valueOf(stream.errorBody)).isEqualTo(200);
            await("the run's stream to end").atMost(BOUND).until(stream::ended);

            List<String> statuses = stream.named("transition").stream()
                    .map(e -> e.data().get("status").asString()).toList();
            assertThat(statuses).containsExactly("PENDING", "QUEUED", "STARTING", "RUNNING", "SUCCEEDED");
            List<SseClient.Event> all = stream.events;
            int running = indexOf(all, "RUNNING");
            StringBuilder stdout = new StringBuilder();
            StringBuilder stderr = new StringBuilder();
            for (int i = 0; i < all.size(); i++) {
                SseClient.Event e = all.get(i);
                if (e.event().equals("output")) {
                    assertThat(i).as("output follows RUNNING").isGreaterThan(running);
                    assertThat(e.data().get("run_id").asString()).isEqualTo(runId);
                    (e.data().get("stream").asString().equals("stdout") ? stdout : stderr)
                            .append(e.data().get("data").asString());
                }
            }
            assertThat(stdout.toString()).isEqualTo("hello\n");
            assertThat(stderr.toString()).isEqualTo("oops\n");
            JsonNode first = stream.named("transition").getFirst().data();
            assertThat(first.get("run_id").asString()).isEqualTo(runId);
            assertThat(first.has("at") && first.has("reason") && first.has("worker_id") && first.has("attempt"))
                    .isTrue();
        }

        // Once the run is over, its stream is its history, and it closes by itself.
        JsonNode record = tenant.run(runId);
        try (SseClient again = SseClient.open(url(tenant.runs() + "/" + runId + "/events"), token, Map.of())) {
            await("the finished run's stream to end").atMost(BOUND).until(again::ended);
            assertThat(transitions(again.events, runId)).isEqualTo(Tenant.statuses(record));
            assertThat(again.named("output")).isEmpty();
        }
    }

    private static int indexOf(List<SseClient.Event> events, String status) {
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).event().equals("transition")
                    && events.get(i).data().get("status").asString().equals(status)) {
                return i;
            }
        }
        throw new AssertionError("no " + status + " in " + events);
    }

    @Test
    void aHandleStreamResumedWithLastEventIdMissesNothingAndRepeatsNothing() {
        String path = url(tenant.runs() + "/events");
        try (SseClient witness = SseClient.open(path, token, Map.of())) {
            SseClient first = SseClient.open(path, token, Map.of());
            await("both streams connected").atMost(BOUND)
                    .until(() -> witness.comments.contains("connected") && first.comments.contains("connected"));

            String one = tenant.submit(Map.of("runtime_key", "busybox", "command", "echo one"));
            String two = tenant.submit(Map.of("runtime_key", "busybox", "command", "sleep 3; echo two"));
            await("run two running, seen by the first connection").atMost(BOUND)
                    .until(() -> transitions(first.events, one).contains("SUCCEEDED#1")
                            && transitions(first.events, two).contains("RUNNING#1"));
            first.close();
            await("the first connection closed").atMost(BOUND).until(first::ended);
            List<SseClient.Event> before = List.copyOf(first.events);
            String lastId = before.getLast().id();

            // While disconnected: run two finishes, run three runs whole.
            String three = tenant.submit(Map.of("runtime_key", "busybox", "command", "echo three"));
            tenant.awaitRun(two, Tenant::terminal);
            tenant.awaitRun(three, Tenant::terminal);

            try (SseClient resumed = SseClient.open(path, token, Map.of("Last-Event-ID", lastId))) {
                assertThat(resumed.status).as(String.valueOf(resumed.errorBody)).isEqualTo(200);
                // And after the reconnect, live again.
                String four = tenant.submit(Map.of("runtime_key", "busybox", "command", "echo four"));
                await("run four's end, on both streams").atMost(BOUND)
                        .until(() -> transitions(resumed.events, four).contains("SUCCEEDED#1")
                                && transitions(witness.events, four).contains("SUCCEEDED#1"));

                List<String> union = new ArrayList<>();
                before.forEach(e -> union.add(e.id()));
                resumed.events.forEach(e -> union.add(e.id()));
                List<String> expected = witness.events.stream().map(SseClient.Event::id).toList();
                assertThat(union).as("ids across the reconnect").isEqualTo(expected);
                assertThat(new HashSet<>(union)).hasSize(union.size());
                for (String run : List.of(one, two, three, four)) {
                    assertThat(transitions(witness.events, run))
                            .containsExactly("PENDING#0", "QUEUED#1", "STARTING#1", "RUNNING#1", "SUCCEEDED#1");
                }
                List<String> unionData = new ArrayList<>();
                before.forEach(e -> unionData.add(e.data().toString()));
                resumed.events.forEach(e -> unionData.add(e.data().toString()));
                assertThat(unionData).isEqualTo(witness.events.stream().map(e -> e.data().toString()).toList());
            }

            // The same resume through the query parameter replays the same events.
            try (SseClient byParam = SseClient.open(path + "?last_event_id=" + lastId, token, Map.of())) {
                int expectedReplay = witness.events.size() - before.size();
                await("the replay through last_event_id").atMost(BOUND)
                        .until(() -> byParam.events.size() >= expectedReplay);
                assertThat(byParam.events.stream().map(SseClient.Event::id).toList())
                        .startsWith(witness.events.subList(before.size(), witness.events.size()).stream()
                                .map(SseClient.Event::id).toArray(String[]::new));
            }
        }
    }

    @Test
    void aLastEventIdTheApiDidNotIssueIsAValidationFailure() {
        String path = url(tenant.runs() + "/events");
        for (String bad : List.of("yesterday", "0-99999999999", "99-0")) {
            try (SseClient stream = SseClient.open(path, token, Map.of("Last-Event-ID", bad))) {
                assertThat(stream.status).as(bad).isEqualTo(422);
                JsonNode error = Api.JSON.readTree(stream.errorBody).get("error");
                assertThat(error.get("code").asString()).isEqualTo("validation_failed");
                assertThat(error.get("details").get(0).get("field").asString()).isEqualTo("last_event_id");
            }
        }
    }

    @Test
    void anotherHandlesRunAndStreamAreNotFound() {
        Tenant other = Tenant.create("streams-other");
        String theirs = other.submit(Map.of("runtime_key", "busybox", "command", "echo theirs"));

        // Their handle in the path, with our token.
        try (SseClient runStream = SseClient.open(url(other.runs() + "/" + theirs + "/events"), token, Map.of());
                SseClient handleStream = SseClient.open(url(other.runs() + "/events"), token, Map.of())) {
            assertThat(runStream.status).isEqualTo(404);
            assertThat(handleStream.status).isEqualTo(404);
            assertThat(Api.JSON.readTree(runStream.errorBody).get("error").get("code").asString())
                    .isEqualTo("not_found");
        }
        // Our handle in the path, their run id.
        try (SseClient runStream = SseClient.open(url(tenant.runs() + "/" + theirs + "/events"), token, Map.of())) {
            assertThat(runStream.status).isEqualTo(404);
            assertThat(Api.JSON.readTree(runStream.errorBody).get("error").get("code").asString())
                    .isEqualTo("not_found");
        }
    }
}

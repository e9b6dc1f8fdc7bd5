package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.RunStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;

/**
 * A fresh handle on the system-test stack with a token for all its scopes and the {@code busybox} and {@code python}
 * runtimes registered and validated: submit runs and wait for what the read model shows, as a user would.
 */
final class Tenant {

    static final String REGISTRY = "127.0.0.1:5000";
    static final Duration RUN_BOUND = Duration.ofSeconds(90);

    final String handle;
    final Api api;

    private Tenant(String handle, Api api) {
        this.handle = handle;
        this.api = api;
    }

    static Tenant create(String prefix) {
        Stack stack = Stack.get();
        String handle = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        Tenant tenant = new Tenant(handle, new Api(stack.gatewayUrl, Api.token(Stack.JWT_SECRET, "user:it",
                List.of(handle), "runtimes:read runtimes:write runs:read runs:write")));
        tenant.registerAndValidate("busybox", REGISTRY + "/coderun/busybox", digestOf("coderun/busybox", "latest"));
        tenant.registerAndValidate("python", REGISTRY + "/coderun/python:3.11", digestOf("coderun/python", "3.11"));
        return tenant;
    }

    String runs() {
        return "/v2/handles/" + handle + "/code-runs";
    }

    /** Submits and returns the new run's id; the submission must be accepted (202 PENDING). */
    String submit(Map<String, Object> request) {
        Api.Response submitted = api.post(runs(), request);
        assertThat(submitted.status()).as(submitted.body().toString()).isEqualTo(202);
        assertThat(submitted.data().get("status").asString()).isEqualTo("PENDING");
        return submitted.data().get("id").asString();
    }

    JsonNode run(String runId) {
        return api.get(runs() + "/" + runId).data();
    }

    JsonNode runToEnd(Map<String, Object> request) {
        return awaitRun(submit(request), Tenant::terminal);
    }

    JsonNode awaitRun(String runId, Predicate<JsonNode> condition) {
        return await("run " + runId).atMost(RUN_BOUND).pollInterval(Duration.ofMillis(100))
                .until(() -> run(runId), run -> run != null && condition.test(run));
    }

    JsonNode awaitStatus(String runId, RunStatus status) {
        return awaitRun(runId, run -> run.get("status").asString().equals(status.name()));
    }

    JsonNode completeOutput(JsonNode run) {
        String path = runs() + "/" + run.get("id").asString() + "/output";
        return await("complete output of " + path).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> api.get(path).data(), out -> out != null && out.get("complete").asBoolean());
    }

    static boolean terminal(JsonNode run) {
        return RunStatus.valueOf(run.get("status").asString()).isTerminal();
    }

    static List<String> statuses(JsonNode run) {
        List<String> statuses = new ArrayList<>();
        run.get("transitions").forEach(t -> statuses.add(t.get("status").asString() + "#" + t.get("attempt").asInt()));
        return statuses;
    }

    /** The run's RUNNING intervals, one per attempt that ran: from RUNNING to the attempt's next transition. */
    static List<Interval> runningIntervals(JsonNode run) {
        List<Interval> intervals = new ArrayList<>();
        JsonNode transitions = run.get("transitions");
        for (int i = 0; i < transitions.size(); i++) {
            if (transitions.get(i).get("status").asString().equals("RUNNING")) {
                Instant from = Instant.parse(transitions.get(i).get("at").asString());
                Instant to = i + 1 < transitions.size()
                        ? Instant.parse(transitions.get(i + 1).get("at").asString()) : Instant.MAX;
                intervals.add(new Interval(run.get("id").asString(), from, to));
            }
        }
        return intervals;
    }

    /** The most intervals that overlap at any instant. */
    static int mostAtOnce(List<Interval> intervals) {
        int most = 0;
        for (Interval a : intervals) {
            int overlapping = 0;
            for (Interval b : intervals) {
                if (!b.from().isAfter(a.from()) && b.to().isAfter(a.from())) {
                    overlapping++;
                }
            }
            most = Math.max(most, overlapping);
        }
        return most;
    }

    record Interval(String runId, Instant from, Instant to) {}

    private void registerAndValidate(String key, String uri, String digest) {
        Api.Response put = api.put("/v2/handles/" + handle + "/code-runtimes/" + key,
                Map.of("image", Map.of("uri", uri, "digest", digest), "sandbox", Map.of("timeout_seconds", 20)));
        assertThat(put.status()).as(put.body().toString()).isEqualTo(201);
        Api.Response validated = api.post("/v2/handles/" + handle + "/code-runtimes/" + key + "/validate-image", null);
        assertThat(validated.data().get("validation").get("status").asString())
                .as(validated.body().toString()).isEqualTo("VALID");
    }

    static String digestOf(String repository, String tag) {
        try {
            HttpResponse<Void> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://" + REGISTRY + "/v2/" + repository + "/manifests/" + tag))
                            .method("HEAD", HttpRequest.BodyPublishers.noBody())
                            .header("Accept", "application/vnd.docker.distribution.manifest.v2+json")
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            return response.headers().firstValue("Docker-Content-Digest").orElseThrow(() ->
                    new IllegalStateException(repository + ":" + tag + " is not in the local registry; "
                            + "run infra/scripts/base-services.sh"));
        } catch (Exception e) {
            throw new IllegalStateException("local registry " + REGISTRY + " unreachable", e);
        }
    }
}

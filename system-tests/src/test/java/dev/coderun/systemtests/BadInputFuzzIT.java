package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import tools.jackson.databind.JsonNode;

/**
 * No bad input gets a 5xx: thousands of generated bad requests (wrong types, missing and unknown fields, huge and
 * negative numbers, NUL bytes, lone surrogates, bytes that are not UTF-8, deep nesting, a few oversize bodies, bad
 * paths, query strings and headers) against every route of the live gateway, with real Kafka and PostgreSQL behind
 * it. Every answer is below 500, carries {@code X-Request-Id}, and has a body that is the error envelope with that
 * request id (or a success envelope for the rare request that is valid). The seed is fixed, so a failure repeats.
 */
class BadInputFuzzIT {

    private static final String SEED = "6008";
    /** Each try sends a batch of requests at once, so the gateway is kept busy: TRIES x BATCH requests in all. */
    private static final int TRIES = 500;
    private static final int BATCH = 10;
    private static final ExecutorService SENDERS = Executors.newFixedThreadPool(BATCH);

    private static final Map<String, LongAdder> TALLY = new ConcurrentHashMap<>();
    private static BadRequests requests;
    private static RawHttp http;

    @BeforeContainer
    static void startTheStackAndATenant() {
        Tenant tenant = Tenant.create("fuzz");
        String runId = tenant.submit(Map.of("runtime_key", "busybox", "command", "true"));
        String token = Api.token(Stack.JWT_SECRET, "user:fuzz", List.of(tenant.handle),
                "runtimes:read runtimes:write runs:read runs:write");
        requests = new BadRequests(new BadRequests.Context(
                tenant.handle,
                token,
                Api.token(Stack.JWT_SECRET, "user:other", List.of("someone-else"), "runs:read runs:write"),
                expired(tenant.handle),
                "busybox",
                runId,
                Tenant.REGISTRY + "/coderun/busybox",
                Tenant.digestOf("coderun/busybox", "latest")));
        http = new RawHttp(Stack.get().gatewayUrl);
    }

    @AfterContainer
    static void printTheCounts() {
        Map<String, Long> counts = new TreeMap<>();
        TALLY.forEach((k, v) -> counts.put(k, v.sum()));
        System.out.println("bad-input fuzz (seed " + SEED + ", " + TRIES + " tries of " + BATCH + "): " + counts);
    }

    @Property(tries = TRIES, seed = SEED, generation = GenerationMode.RANDOMIZED, shrinking = ShrinkingMode.BOUNDED)
    void noBadRequestGetsA5xxAndEveryAnswerIsAnEnvelopeWithItsRequestId(
            @ForAll("badRequests") List<RawHttp.Request> batch) throws Exception {
        List<Future<RawHttp.Response>> answers = new ArrayList<>();
        for (RawHttp.Request request : batch) {
            answers.add(SENDERS.submit(() -> http.send(request)));
        }
        for (int i = 0; i < batch.size(); i++) {
            RawHttp.Response response;
            try {
                response = answers.get(i).get();
            } catch (ExecutionException e) {
                throw new AssertionError("no answer to\n" + batch.get(i), e.getCause());
            }
            check(batch.get(i), response);
        }
    }

    private static void check(RawHttp.Request request, RawHttp.Response response) {
        count("sent");
        if (TALLY.get("sent").sum() % 2000 == 0) {
            printTheCounts();
        }
        count("status " + (response.status() / 100) + "xx");
        count("status " + response.status());
        count("via " + response.transport());

        assertThat(response.status()).as("status of\n%s", request).isLessThan(500);
        String requestId = response.header("X-Request-Id");
        assertThat(requestId).as("X-Request-Id of %d answering\n%s", response.status(), request).isNotBlank();
        if (request.method().equals("HEAD") || response.isEventStream()) {
            return;
        }
        String text = new String(response.body(), StandardCharsets.UTF_8);
        JsonNode body;
        try {
            body = Api.JSON.readTree(text);
        } catch (RuntimeException e) {
            throw new AssertionError("the body of " + response.status() + " is not JSON: "
                    + RawHttp.printable(text, 300) + "\nanswering\n" + request, e);
        }
        assertThat(body).as("body of %d answering\n%s", response.status(), request).isNotNull();
        if (response.status() >= 300) {
            JsonNode error = body.path("error");
            assertThat(error.path("code").isString() && !error.path("code").asString().isEmpty())
                    .as("error.code in %s answering\n%s", text, request).isTrue();
            assertThat(error.path("message").isString()).as("error.message in %s answering\n%s", text, request)
                    .isTrue();
            assertThat(error.path("request_id").asString(""))
                    .as("error.request_id in %s answering\n%s", text, request).isEqualTo(requestId);
        } else if (request.target().startsWith("/v3/api-docs")) {
            assertThat(body.has("openapi")).as("the OpenAPI document: %s", RawHttp.printable(text, 300)).isTrue();
        } else {
            assertThat(body.has("data")).as("success envelope %s answering\n%s", RawHttp.printable(text, 300),
                    request).isTrue();
        }
    }

    @Provide
    Arbitrary<List<RawHttp.Request>> badRequests() {
        return requests.requests().list().ofSize(BATCH);
    }

    private static void count(String key) {
        TALLY.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    /** A token for the handle that is signed right but expired an hour ago. */
    private static String expired(String handle) {
        String fresh = Api.token(Stack.JWT_SECRET, "user:fuzz", List.of(handle), "runs:read");
        String[] parts = fresh.split("\\.");
        String claims = new String(java.util.Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replaceAll("\"exp\":\\d+", "\"exp\":" + (java.time.Instant.now().getEpochSecond() - 3600));
        return resign(parts[0], claims);
    }

    private static String resign(String header, String claims) {
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        String payload = b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(Stack.JWT_SECRET.getBytes(StandardCharsets.UTF_8),
                    "HmacSHA256"));
            return header + "." + payload + "." + b64.encodeToString(
                    mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

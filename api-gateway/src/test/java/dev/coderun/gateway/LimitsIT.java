package dev.coderun.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.infra.kafka.KraftBroker;
import dev.coderun.infra.kafka.TopicProvisioner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Rate limits and the daily write quota through the whole gateway over HTTP, against a fresh PostgreSQL database and
 * an in-process Kafka broker, with the gateway's clock replaced by one the test moves: exhaustion, the 429s with their
 * headers, and recovery when the clock moves on (a refill, a new UTC day). Runs stay PENDING: no scheduler runs here.
 * Validating a runtime's image needs the local registry ({@code 127.0.0.1:5000}) with {@code coderun/busybox}.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "coderun.auth.jwt-secret=" + LimitsIT.SECRET,
            // A fixed test key: nothing is sealed here that outlives the test.
            "coderun.secrets.keys=it:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            "coderun.rate-limits.reads.capacity=3",
            "coderun.rate-limits.reads.refill-per-second=1",
            "coderun.quotas.daily-writes=6",
        })
class LimitsIT {

    static final String SECRET = "limits-it-secret-that-is-at-least-32-characters";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String REGISTRY = "127.0.0.1:5000";

    private static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    private static final TestDatabase DATABASE = TestDatabase.create("coderun_limits_it");
    private static final KraftBroker KAFKA = startKafka();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) {
        registry.add("spring.r2dbc.url", DATABASE::r2dbcUrl);
        registry.add("spring.flyway.url", DATABASE::jdbcUrl);
        registry.add("spring.kafka.bootstrap-servers", KAFKA::bootstrapServers);
    }

    @TestConfiguration
    static class ControlledTime {
        @Bean
        @Primary
        MutableClock controlledClock() {
            return CLOCK;
        }
    }

    @Test
    void anEmptyReadBucketIs429RateLimitedWithItsHeadersAndRefillsAsTheClockMoves() {
        CLOCK.set(Instant.parse("2026-11-23T10:00:00Z"));
        String handle = "reads-" + shortId();
        String token = token(handle, "runs:read");
        String limits = "/v2/handles/" + handle + "/limits";

        for (int remaining = 2; remaining >= 0; remaining--) {
            Response ok = send("GET", limits, token, null);
            assertThat(ok.status()).as(ok.body().toString()).isEqualTo(200);
            assertThat(ok.header("RateLimit-Limit")).isEqualTo("3");
            assertThat(ok.header("RateLimit-Remaining")).isEqualTo(String.valueOf(remaining));
            assertThat(ok.header("RateLimit-Reset")).isEqualTo(String.valueOf(3 - remaining));
        }
        Response limited = send("GET", limits, token, null);

        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.body().get("error").get("code").asString()).isEqualTo("rate_limited");
        assertThat(limited.body().get("error").get("request_id").asString()).isEqualTo(limited.header("X-Request-Id"));
        assertThat(limited.header("Retry-After")).isEqualTo("1");
        assertThat(limited.header("RateLimit-Limit")).isEqualTo("3");
        assertThat(limited.header("RateLimit-Remaining")).isEqualTo("0");
        assertThat(limited.header("RateLimit-Reset")).isEqualTo("3");
        assertThat(send("GET", "/v2/handles/" + handle + "/code-runs", token, null).status())
                .as("every read route draws on the same bucket").isEqualTo(429);

        CLOCK.advance(Duration.ofSeconds(1));
        Response refilled = send("GET", limits, token, null);
        assertThat(refilled.status()).isEqualTo(200);
        assertThat(refilled.header("RateLimit-Remaining")).isEqualTo("0");

        CLOCK.advance(Duration.ofSeconds(3));
        Response full = send("GET", limits, token, null);
        assertThat(full.header("RateLimit-Remaining")).isEqualTo("2");
        JsonNode reads = full.body().get("data").get("rate_limits").get("reads");
        assertThat(reads.get("limit").asLong()).isEqualTo(3);
        assertThat(reads.get("remaining").asLong()).as("after this request took its own").isEqualTo(2);
        assertThat(reads.get("reset_seconds").asLong()).isEqualTo(1);
        assertThat(full.body().get("data").get("rate_limits").get("writes").get("limit").asLong())
                .as("the default").isEqualTo(2000);
    }

    @Test
    void anotherTokenHasItsOwnBucketAndHealthAndDocsAreNotLimited() {
        CLOCK.set(Instant.parse("2026-11-23T11:00:00Z"));
        String handle = "tokens-" + shortId();
        String first = token(handle, "runs:read");
        for (int i = 0; i < 3; i++) {
            send("GET", "/v2/handles/" + handle + "/limits", first, null);
        }
        assertThat(send("GET", "/v2/handles/" + handle + "/limits", first, null).status()).isEqualTo(429);

        Response other = send("GET", "/v2/handles/" + handle + "/limits", token(handle, "runs:read"), null);
        assertThat(other.status()).isEqualTo(200);
        assertThat(other.header("RateLimit-Remaining")).isEqualTo("2");
        Response docs = send("GET", "/v3/api-docs", null, null);
        assertThat(docs.status()).isEqualTo(200);
        assertThat(docs.header("RateLimit-Limit")).isNull();
    }

    @Test
    void theDailyQuotaAcceptsABatchUpToItRefusesTheRestAndStartsAgainAtTheNextUtcDay() {
        CLOCK.set(Instant.parse("2026-11-23T23:59:00Z"));
        String handle = "quota-" + shortId();
        String token = token(handle, "runtimes:write runs:write runs:read");
        String runs = "/v2/handles/" + handle + "/code-runs";
        registerAndValidate(handle, token);
        assertThat(dailyWrites(handle, token)).as("a runtime PUT and a validation").isEqualTo(2);
        assertThat(send("PUT", "/v2/handles/" + handle + "/code-runtimes/busybox", token, runtime(),
                Map.of("If-Match", "\"stale\"")).status()).isEqualTo(412);
        assertThat(send("POST", "/v2/handles/" + handle + "/code-runtimes/missing/validate-image", token, null)
                .status()).isEqualTo(404);
        assertThat(dailyWrites(handle, token)).as("refused writes give their count back").isEqualTo(2);

        Map<String, Object> run = Map.of("runtime_key", "busybox", "command", "true");
        List<Object> items = new ArrayList<>();
        items.add(Map.of("runtime_key", "busybox", "command", "true", "idempotency_key", "first"));
        items.add(Map.of("runtime_key", "busybox", "command", "true", "idempotency_key", "first"));
        for (int i = 0; i < 4; i++) {
            items.add(run);
        }
        Response batch = send("POST", runs + "/batch", token, Map.of("runs", items));

        assertThat(batch.status()).as(batch.body().toString()).isEqualTo(200);
        List<Integer> statuses = new ArrayList<>();
        batch.body().get("data").forEach(result -> statuses.add(result.get("status").asInt()));
        assertThat(statuses).as("4 new runs fit, the replay counts nothing, the 5th new run does not fit")
                .containsExactly(202, 202, 202, 202, 202, 429);
        JsonNode over = batch.body().get("data").get(5).get("error");
        assertThat(over.get("code").asString()).isEqualTo("quota_exceeded");
        assertThat(batch.body().get("data").get(1).get("replayed").asBoolean()).isTrue();
        assertThat(batch.body().get("data").get(1).get("run").get("id"))
                .isEqualTo(batch.body().get("data").get(0).get("run").get("id"));
        assertThat(dailyWrites(handle, token)).isEqualTo(6);

        Response single = send("POST", runs, token, run);
        assertThat(single.status()).isEqualTo(429);
        assertThat(single.body().get("error").get("code").asString()).isEqualTo("quota_exceeded");
        assertThat(single.header("Retry-After")).as("seconds to the next UTC midnight").isEqualTo("60");
        assertThat(send("PUT", "/v2/handles/" + handle + "/code-runtimes/other", token, runtime()).status())
                .isEqualTo(429);
        Response replay = send("POST", runs, token,
                Map.of("runtime_key", "busybox", "command", "true"), Map.of("Idempotency-Key", "first"));
        assertThat(replay.status()).as("a replay is no new write").isEqualTo(202);
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");

        CLOCK.set(Instant.parse("2026-11-24T00:00:01Z"));
        assertThat(send("POST", runs, token, run).status()).isEqualTo(202);
        JsonNode limits = send("GET", "/v2/handles/" + handle + "/limits", token, null).body().get("data");
        assertThat(limits.get("daily_writes").get("used").asLong()).isEqualTo(1);
        assertThat(limits.get("daily_writes").get("limit").asLong()).isEqualTo(6);
        assertThat(limits.get("daily_writes").get("resets_at").asString()).isEqualTo("2026-11-25T00:00:00Z");
    }

    private void registerAndValidate(String handle, String token) {
        String runtime = "/v2/handles/" + handle + "/code-runtimes/busybox";
        Response put = send("PUT", runtime, token, runtime());
        assertThat(put.status()).as(put.body().toString()).isEqualTo(201);
        Response validated = send("POST", runtime + "/validate-image", token, null);
        assertThat(validated.body().get("data").get("validation").get("status").asString())
                .as(validated.body().toString()).isEqualTo("VALID");
    }

    private long dailyWrites(String handle, String token) {
        return send("GET", "/v2/handles/" + handle + "/limits", token, null)
                .body().get("data").get("daily_writes").get("used").asLong();
    }

    private static Map<String, Object> runtime() {
        return Map.of("image", Map.of("uri", REGISTRY + "/coderun/busybox", "digest", busyboxDigest()));
    }

    record Response(int status, JsonNode body, HttpResponse<String> raw) {
        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    private Response send(String method, String path, String token, Object body) {
        return send(method, path, token, body, Map.of());
    }

    private Response send(String method, String path, String token, Object body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        headers.forEach(request::header);
        try {
            HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
            return new Response(response.statusCode(), json, response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An HS256 token for {@code handle} with its own {@code jti}, so each gets its own buckets. */
    private static String token(String handle, String scope) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = b64.encodeToString(JSON.writeValueAsBytes(Map.of(
                "iss", "coderun", "aud", "coderun-api", "sub", "user:limits-it", "jti", UUID.randomUUID().toString(),
                "handles", List.of(handle), "scope", scope,
                "exp", Instant.now().plusSeconds(3600).getEpochSecond())));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return header + "." + payload + "."
                    + b64.encodeToString(mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String busyboxDigest() {
        try {
            HttpResponse<Void> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://" + REGISTRY + "/v2/coderun/busybox/manifests/latest"))
                            .method("HEAD", HttpRequest.BodyPublishers.noBody())
                            .header("Accept", "application/vnd.docker.distribution.manifest.v2+json")
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            return response.headers().firstValue("Docker-Content-Digest").orElseThrow(() -> new IllegalStateException(
                    "coderun/busybox is not in the local registry; run infra/scripts/base-services.sh"));
        } catch (IOException e) {
            throw new UncheckedIOException("local registry " + REGISTRY + " unreachable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private static KraftBroker startKafka() {
        try {
            var dataDir = Files.createTempDirectory("coderun-limits-it-kafka");
            KraftBroker broker = KraftBroker.start(dataDir, "127.0.0.1", 0);
            TopicProvisioner.provision(broker.bootstrapServers(), (short) 1);
            Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "limits-it-kafka-stop"));
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.coderun.gateway.auth;

import static dev.coderun.gateway.auth.TestTokens.with;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.coderun.gateway.api.ApiErrorHandler;
import dev.coderun.gateway.api.RequestIds;
import dev.coderun.gateway.fleet.FleetProperties;
import io.r2dbc.spi.ConnectionFactories;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.WebFilterChainProxy;
import org.springframework.test.web.reactive.server.MockServerConfigurer;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gateway's security chain in front of a probe route, with JWTs: what a refused request gets (the API's envelope,
 * never Spring Security's bare status), and what a granted one carries on. The chain sits at order -100 as
 * Spring Security places it; a filter at order 0 stands for the filters that read the caller after it (rate limits).
 * Personal access tokens need PostgreSQL and are AuthMatrixIT's.
 */
class SecurityChainTest {

    private static final JsonMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
    private static final long NOW_S = Instant.now().getEpochSecond();
    private static final Map<String, Object> ALICE_READS = Map.of("sub", "user:alice", "iss", "coderun",
            "aud", "coderun-api", "exp", NOW_S + 600, "jti", "t-1", "handles", List.of("alice"), "scope", "runs:read");

    /** Captured at TRACE, and kept off the console, while a test runs. */
    private static final List<String> LOGGERS = List.of("org.springframework", "reactor", "dev.coderun", "io.netty");

    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private WebTestClient client;

    @BeforeEach
    void aProbeRouteBehindTheChain() {
        AuthProperties properties = new AuthProperties(
                TestTokens.SECRET, null, "coderun", "coderun-api", Duration.ofSeconds(30), Duration.ofMinutes(1));
        SecurityConfiguration configuration = new SecurityConfiguration();
        // No request here carries a personal access token, so this database is never connected to.
        var pats = new PatAuthentication(new PostgresPersonalAccessTokens(DatabaseClient.create(
                ConnectionFactories.get("r2dbc:postgresql://unused:unused@127.0.0.1:1/unused"))), properties);
        FleetProperties fleet = new FleetProperties(
                "ops", Duration.ofSeconds(15), Duration.ofMinutes(10), Duration.ofHours(24));
        WebFilterChainProxy chain = new WebFilterChainProxy(configuration.apiSecurity(
                ServerHttpSecurity.http(), new BearerAuthentication(configuration.jwtDecoder(properties), pats),
                fleet));
        chain.setFirewall(configuration.firewall());
        chain.setExchangeRejectedHandler(configuration.firewallRefusals());
        ApiErrorHandler errors = new ApiErrorHandler(JSON);
        client = WebTestClient.bindToController(new Probe())
                .webFilter(new RequestIds(), ordered(-100, chain), ordered(0, SecurityChainTest::probe))
                .apply(new MockServerConfigurer() {
                    @Override
                    public void beforeServerCreated(WebHttpHandlerBuilder builder) {
                        builder.exceptionHandlers(handlers -> handlers.addFirst(errors));
                    }
                })
                .build();
        lines.start();
        for (String name : LOGGERS) {
            Logger logger = (Logger) LoggerFactory.getLogger(name);
            logger.setLevel(Level.TRACE);
            logger.setAdditive(false);
            logger.addAppender(lines);
        }
    }

    @AfterEach
    void release() {
        for (String name : LOGGERS) {
            Logger logger = (Logger) LoggerFactory.getLogger(name);
            logger.detachAppender(lines);
            logger.setAdditive(true);
            logger.setLevel(null);
        }
    }

    @Test
    void aGrantedRequestCarriesItsCallerToLaterFiltersAndTheController() {
        var answer = client.get().uri("/v2/handles/alice/limits").header(HttpHeaders.AUTHORIZATION, bearer(ALICE_READS))
                .exchange().expectStatus().isOk().expectBody(String.class).returnResult();

        assertThat(answer.getResponseBody()).isEqualTo("jwt:t-1");
        assertThat(answer.getResponseHeaders().getFirst("X-Probe-Caller")).isEqualTo("jwt:t-1");
    }

    @Test
    void noTokenIs401InTheEnvelopeWithWwwAuthenticate() {
        var answer = client.get().uri("/v2/handles/alice/limits").exchange()
                .expectStatus().isUnauthorized()
                .expectHeader().valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .expectBody(JsonNode.class).returnResult();

        JsonNode error = answer.getResponseBody().path("error");
        assertThat(error.path("code").asString()).isEqualTo("unauthenticated");
        assertThat(error.path("message").asString()).isEqualTo("a bearer token is required");
        assertThat(error.path("request_id").asString())
                .isEqualTo(answer.getResponseHeaders().getFirst(RequestIds.HEADER));
    }

    @Test
    void aRefusedTokenSaysWhyAndNoLogLineQuotesIt() {
        String expired = TestTokens.hs256(with(ALICE_READS, "exp", NOW_S - 3600));
        String forged = TestTokens.signed(Map.of("alg", "HS256"), ALICE_READS, TestTokens.OTHER_SECRET);

        assertThat(error(client.get().uri("/v2/handles/alice/limits").header(HttpHeaders.AUTHORIZATION,
                "Bearer " + expired), 401)).isEqualTo("token expired or without expiry");
        assertThat(error(client.get().uri("/v2/handles/alice/limits").header(HttpHeaders.AUTHORIZATION,
                "Bearer " + forged), 401)).isEqualTo("bad token signature");
        assertThat(error(client.get().uri("/v2/handles/alice/limits").header(HttpHeaders.AUTHORIZATION,
                "Bearer two words"), 401)).isEqualTo("malformed bearer token");
        client.get().uri("/v2/handles/alice/limits").header(HttpHeaders.AUTHORIZATION, bearer(ALICE_READS))
                .exchange().expectStatus().isOk();

        assertThat(lines.list).as("lines logged at TRACE").isNotEmpty();
        for (String token : List.of(expired, forged, TestTokens.hs256(ALICE_READS))) {
            String signature = token.substring(token.lastIndexOf('.') + 1);
            assertThat(lines.list).noneSatisfy(line -> assertThat(line.getFormattedMessage()
                    + (line.getThrowableProxy() == null ? "" : line.getThrowableProxy().getMessage()))
                    .contains(signature));
        }
    }

    @Test
    void anotherHandleIsNotFoundAlsoForHeadAndAMissingScopeIsForbidden() {
        assertThat(error(client.get().uri("/v2/handles/bob/limits")
                .header(HttpHeaders.AUTHORIZATION, bearer(with(ALICE_READS, "scope", "admin"))), 404))
                .isEqualTo("handle 'bob' not found");
        client.head().uri("/v2/handles/bob/limits").header(HttpHeaders.AUTHORIZATION, bearer(ALICE_READS))
                .exchange().expectStatus().isNotFound();
        assertThat(error(client.get().uri("/v2/handles/alice/limits")
                .header(HttpHeaders.AUTHORIZATION, bearer(with(ALICE_READS, "scope", "runs:write"))), 403))
                .isEqualTo("the token lacks scope runs:read");
    }

    @Test
    void theFleetIsTheOperatorHandlesAdminsOnly() {
        Map<String, Object> operatorAdmin = with(with(ALICE_READS, "handles", List.of("ops")), "scope", "admin");
        client.get().uri("/v2/fleet/workers").header(HttpHeaders.AUTHORIZATION, bearer(operatorAdmin))
                .exchange().expectStatus().isOk();

        // A tenant's admin: the fleet is the operator handle's, as another handle's resources are not found.
        assertThat(error(client.get().uri("/v2/fleet/workers")
                .header(HttpHeaders.AUTHORIZATION, bearer(with(ALICE_READS, "scope", "admin"))), 404))
                .doesNotContain("ops");
        client.head().uri("/v2/fleet/workers").header(HttpHeaders.AUTHORIZATION, bearer(with(ALICE_READS, "scope",
                "admin"))).exchange().expectStatus().isNotFound();
        assertThat(error(client.post().uri("/v2/fleet/workers/w-1/drain")
                .header(HttpHeaders.AUTHORIZATION, bearer(with(ALICE_READS, "scope", "admin"))), 404))
                .doesNotContain("ops");
        // The operator handle without admin.
        assertThat(error(client.get().uri("/v2/fleet/workers").header(HttpHeaders.AUTHORIZATION,
                bearer(with(with(ALICE_READS, "handles", List.of("ops")), "scope", "runs:read"))), 403))
                .isEqualTo("the token lacks scope admin");
        // Holding the operator handle beside a tenant's is holding it.
        client.get().uri("/v2/fleet/workers").header(HttpHeaders.AUTHORIZATION,
                bearer(with(with(ALICE_READS, "handles", List.of("alice", "ops")), "scope", "admin")))
                .exchange().expectStatus().isOk();
    }

    @Test
    void aPathTheFirewallRefusesIsAMalformedRequestInTheEnvelope() {
        var answer = client.get().uri("/v2/handles/alice/limits;x=1").header(HttpHeaders.AUTHORIZATION,
                bearer(ALICE_READS)).exchange().expectStatus().isBadRequest().expectBody(JsonNode.class).returnResult();

        assertThat(answer.getResponseBody().path("error").path("code").asString()).isEqualTo("malformed_request");
    }

    private String error(WebTestClient.RequestHeadersSpec<?> request, int status) {
        JsonNode body = request.exchange().expectStatus().isEqualTo(status).expectBody(JsonNode.class)
                .returnResult().getResponseBody();
        return body.path("error").path("message").asString();
    }

    private static String bearer(Map<String, Object> claims) {
        return "Bearer " + TestTokens.hs256(claims);
    }

    /** Stands for a filter after the security chain: it reads the caller the chain authenticated. */
    private static Mono<Void> probe(ServerWebExchange exchange, WebFilterChain chain) {
        exchange.getResponse().getHeaders().set("X-Probe-Caller", Caller.of(exchange).tokenId());
        return chain.filter(exchange);
    }

    private static WebFilter ordered(int order, WebFilter filter) {
        return new OrderedFilter(order, filter);
    }

    private record OrderedFilter(int order, WebFilter filter) implements WebFilter, Ordered {
        @Override
        public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
            return filter.filter(exchange, chain);
        }

        @Override
        public int getOrder() {
            return order;
        }
    }

    @RestController
    static class Probe {
        @GetMapping("/v2/fleet/workers")
        Mono<String> workers(ServerWebExchange exchange) {
            return Mono.just(Caller.of(exchange).tokenId());
        }

        @PostMapping("/v2/fleet/workers/{workerId}/drain")
        Mono<String> drain(@PathVariable String workerId, ServerWebExchange exchange) {
            return Mono.just(Caller.of(exchange).tokenId());
        }

        @GetMapping("/v2/handles/{handle}/limits")
        Mono<String> limits(@PathVariable String handle, ServerWebExchange exchange) {
            return Mono.just(Caller.of(exchange).tokenId());
        }
    }
}

package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * Every route of the API against every kind of token, on the live stack. The routes are read from the served OpenAPI
 * document ({@code /v3/api-docs}), so a new route is in the matrix the day it is documented; each is sent with no
 * token, garbage, a JWT that is expired, not yet valid, unsigned ({@code alg: none}), for another issuer or another
 * audience, one that lacks the route's scope, one for another handle (with every scope, {@code admin} included), a
 * revoked and an expired personal access token: each refusal is asserted by status and error code in the API's
 * envelope. Two positive controls per route, a JWT and a PAT holding exactly the route's scope, show that the route is
 * reachable at all (not refused 401, 403, or 404 for the handle). GET routes are also tried with HEAD under another
 * handle, which WebFlux answers with the GET handler: the route's rule must hold for it too.
 *
 * <p>The fleet routes ({@code /v2/fleet/**}) belong to the operator handle ({@link Stack#OPERATOR_HANDLE}): their
 * tokens name that handle instead of the tenant's, and the other-handle kind (a tenant's {@code admin}) must get
 * {@code not_found} there, as for another handle's resources. Their drain and undrain positive controls name a worker
 * that does not exist ({@code not_found} past the route rule), so the matrix never drains the stack's worker.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthMatrixIT {

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern VARIABLE = Pattern.compile("\\{([^}]+)}");
    private static final String ALL_SCOPES = "runtimes:read runtimes:write runs:read runs:write";

    /** The kinds of token each route is tried with. */
    enum Kind {
        NO_TOKEN, GARBAGE, EXPIRED, NOT_YET_VALID, ALG_NONE, WRONG_ISSUER, WRONG_AUDIENCE, MISSING_SCOPE,
        OTHER_HANDLE, REVOKED_PAT, EXPIRED_PAT, VALID_JWT, VALID_PAT
    }

    /** A documented operation; {@code scope} is its {@code x-required-scope}, null when it names none. */
    record Route(String method, String template, String operationId, String scope) {
        @Override
        public String toString() {
            return method + " " + template;
        }
    }

    record Answer(int status, JsonNode body, HttpHeaders headers) {
        JsonNode error() {
            return body.path("error");
        }
    }

    private static Tenant own;
    private static String url;
    private static String runId;
    private static String otherHandle;
    private static String revokedPat;
    private static String expiredPat;
    /** A token of the own handle that a positive control of DELETE /v2/tokens/{tokenId} revokes. */
    private static String victimTokenId;
    /** A support report about the own handle. */
    private static String reportId;
    /** Personal access tokens of the own handle holding exactly one scope each, by scope claim. */
    private static final Map<String, String> PAT_BY_SCOPE = new LinkedHashMap<>();
    /** A personal access token of the operator handle with scope admin. */
    private static String operatorPat;
    private static final Set<String> TOKENS_SENT = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger CELLS = new AtomicInteger();
    private static final Map<String, Integer> POSITIVE_STATUSES = new TreeMap<>();
    private static List<Route> routes;

    @BeforeAll
    static void aTenantWithARunAndTokensOfEveryKind() throws SQLException {
        own = Tenant.create("authz");
        url = Stack.get().gatewayUrl;
        runId = own.submit(Map.of("runtime_key", "busybox", "command", "true"));
        own.awaitRun(runId, Tenant::terminal);
        otherHandle = "stranger-" + UUID.randomUUID().toString().substring(0, 8);

        String admin = jwt(List.of(own.handle), "admin");
        for (String scope : List.of("runtimes:read", "runtimes:write", "runs:read", "runs:write", "admin")) {
            PAT_BY_SCOPE.put(scope, mint(admin, "matrix " + scope, List.of(scope)).path("token").asString());
        }
        JsonNode revoked = mint(admin, "revoked", List.of("runtimes:read", "runtimes:write", "runs:read", "runs:write",
                "admin"));
        revokedPat = revoked.path("token").asString();
        assertThat(send("DELETE", "/v2/tokens/" + revoked.path("id").asString(), admin, null).status())
                .isEqualTo(200);
        JsonNode expired = mint(admin, "expired", List.of("runtimes:read", "runtimes:write", "runs:read",
                "runs:write", "admin"));
        expiredPat = expired.path("token").asString();
        try (var db = Stack.get().database(); var update = db.prepareStatement(
                "update personal_access_tokens set expires_at = now() - interval '1 minute' where id = ?")) {
            update.setObject(1, UUID.fromString(expired.path("id").asString()));
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
        victimTokenId = mint(admin, "victim", List.of("runs:read")).path("id").asString();
        Answer operatorMinted = send("POST", "/v2/tokens", jwt(List.of(Stack.OPERATOR_HANDLE), "admin"),
                Map.of("name", "matrix operator", "handles", List.of(Stack.OPERATOR_HANDLE),
                        "scopes", List.of("admin")));
        assertThat(operatorMinted.status()).as(operatorMinted.body().toString()).isEqualTo(201);
        operatorPat = operatorMinted.body().path("data").path("token").asString();
        TOKENS_SENT.add(operatorPat);
        reportId = send("POST", "/v2/support/report", jwt(List.of(own.handle), "runs:read"),
                Map.of("summary", "matrix", "details", "a report about the own handle", "handle", own.handle))
                .body().path("data").path("report_id").asString();

        JsonNode document = send("GET", "/v3/api-docs", null, null).body();
        routes = new ArrayList<>();
        document.path("paths").properties().forEach(path -> path.getValue().properties().forEach(op -> {
            if (!Set.of("get", "put", "post", "delete", "patch").contains(op.getKey())) {
                return;
            }
            JsonNode security = op.getValue().path("security");
            if (security.isArray() && security.isEmpty()) {
                return; // `security: []`: open without a token
            }
            JsonNode scope = op.getValue().path("x-required-scope");
            routes.add(new Route(op.getKey().toUpperCase(), path.getKey(), op.getValue().path("operationId").asString(),
                    scope.isMissingNode() ? null : scope.asString()));
        }));
        assertThat(routes).as("the document's secured routes").hasSizeGreaterThanOrEqualTo(17);
    }

    @AfterAll
    static void printTheMatrix() {
        System.out.println("auth matrix: " + routes.size() + " routes from /v3/api-docs x " + Kind.values().length
                + " token kinds (+ HEAD under another handle for GET routes of a handle) = " + CELLS.get()
                + " cells checked; positive controls answered " + POSITIVE_STATUSES);
    }

    @TestFactory
    @Order(1)
    Stream<DynamicContainer> everyRouteRefusesEveryBadTokenAndAcceptsAGoodOne() {
        return routes.stream().map(route -> {
            List<DynamicTest> cells = new ArrayList<>();
            for (Kind kind : Kind.values()) {
                if (kind == Kind.MISSING_SCOPE && route.scope() == null) {
                    continue; // any valid token may call it: there is no scope to miss
                }
                cells.add(dynamicTest(kind.name(), () -> check(route, kind)));
            }
            if (route.method().equals("GET") && route.template().contains("{handle}")) {
                cells.add(dynamicTest("HEAD_OTHER_HANDLE", () -> checkHeadUnderAnotherHandle(route)));
            }
            return DynamicContainer.dynamicContainer(route.toString(), cells);
        });
    }

    @Test
    @Order(2)
    void aListingShowsPrefixesAndNeverASecret() {
        String admin = jwt(List.of(own.handle), "admin");
        JsonNode minted = mint(admin, "listed", List.of("runs:read"));

        Answer list = send("GET", "/v2/tokens?limit=500", admin, null);

        assertThat(list.status()).isEqualTo(200);
        String text = list.body().toString();
        assertThat(text).doesNotContain(minted.path("token").asString());
        PAT_BY_SCOPE.values().forEach(secret -> assertThat(text).doesNotContain(secret));
        List<String> prefixes = new ArrayList<>();
        list.body().path("data").forEach(token -> {
            assertThat(token.has("token")).as("a listed token carries no secret").isFalse();
            prefixes.add(token.path("prefix").asString());
        });
        assertThat(prefixes).contains(minted.path("token").asString().substring(0, 12));
        assertThat(minted.path("prefix").asString()).matches("crp_[0-9A-Za-z]{8}");
    }

    @Test
    @Order(3)
    void aTokensUseIsRecordedOnceNotOnEveryRequest() throws SQLException {
        String admin = jwt(List.of(own.handle), "admin");
        JsonNode minted = mint(admin, "used", List.of("runs:read"));
        String secret = minted.path("token").asString();
        assertThat(lastUsed(minted.path("id").asString())).isNull();

        Instant start = Instant.now();
        assertThat(send("GET", "/v2/handles/" + own.handle + "/limits", secret, null).status()).isEqualTo(200);
        Instant first = lastUsed(minted.path("id").asString());
        for (int i = 0; i < 20; i++) {
            assertThat(send("GET", "/v2/handles/" + own.handle + "/limits", secret, null).status()).isEqualTo(200);
        }
        Instant after = lastUsed(minted.path("id").asString());

        assertThat(first).isNotNull().isAfterOrEqualTo(start.minusSeconds(5));
        if (Duration.between(start, Instant.now()).compareTo(Duration.ofSeconds(60)) < 0) {
            // coderun.auth.last-used-every is 1 min: 20 more requests within it write nothing.
            assertThat(after).isEqualTo(first);
        }
    }

    @Test
    @Order(4)
    void noTokenSentInThisTestReachesTheGatewayLog() throws Exception {
        String log = Files.readString(Stack.get().log("gateway"));

        assertThat(TOKENS_SENT).isNotEmpty();
        for (String token : TOKENS_SENT) {
            String tail = token.length() > 24 ? token.substring(token.length() - 24) : token;
            assertThat(log).as("the gateway log").doesNotContain(token).doesNotContain(tail);
        }
    }

    // ---------------------------------------------------------------- one cell

    private static void check(Route route, Kind kind) {
        String token = tokenFor(route, kind);
        Answer answer = send(route.method(), pathOf(route), token, bodyOf(route));
        String what = route + " with " + kind + " answered " + answer.status() + " " + answer.body();
        CELLS.incrementAndGet();
        assertThat(answer.status()).as(what).isLessThan(500);
        switch (kind) {
            case NO_TOKEN, GARBAGE, EXPIRED, NOT_YET_VALID, ALG_NONE, WRONG_ISSUER, WRONG_AUDIENCE, REVOKED_PAT,
                    EXPIRED_PAT -> {
                assertRefused(answer, 401, "unauthenticated", what);
                assertThat(answer.headers().firstValue("WWW-Authenticate")).as(what).contains("Bearer");
            }
            case MISSING_SCOPE -> {
                if (route.scope() == null) {
                    // A route any valid token may call: a token with no scope at all is served.
                    assertThat(answer.status()).as(what).isBetween(200, 299);
                } else {
                    assertRefused(answer, 403, "forbidden", what);
                }
            }
            case OTHER_HANDLE -> checkOtherHandle(route, answer, what);
            case VALID_JWT, VALID_PAT -> {
                assertThat(answer.status()).as(what).isNotIn(401, 403);
                if (answer.status() == 404) {
                    assertThat(answer.error().path("message").asString()).as(what).doesNotStartWith("handle '");
                }
                if (!route.operationId().equals("cancelRun") && knows(route)) {
                    // Every route this test has a valid request for succeeds with it.
                    assertThat(answer.status()).as(what).isBetween(200, 299);
                }
                synchronized (POSITIVE_STATUSES) {
                    POSITIVE_STATUSES.merge(String.valueOf(answer.status()), 1, Integer::sum);
                }
            }
        }
    }

    /** Another handle's token (every scope, admin included) never reaches this handle's resources. */
    private static void checkOtherHandle(Route route, Answer answer, String what) {
        if (route.template().contains("{handle}")) {
            assertRefused(answer, 404, "not_found", what);
            assertThat(answer.error().path("message").asString()).as(what)
                    .isEqualTo("handle '" + own.handle + "' not found");
            return;
        }
        switch (route.toString()) {
            // The runtime is looked up in the token's handles only.
            case "POST /v1/runtimes/{runtime}/exec" -> assertRefused(answer, 404, "not_found", what);
            // Minting for a handle the token does not hold.
            case "POST /v2/tokens" -> assertRefused(answer, 403, "forbidden", what);
            // Revoking another handle's token.
            case "DELETE /v2/tokens/{tokenId}" -> assertRefused(answer, 404, "not_found", what);
            // Filing a report about a handle the token does not hold.
            case "POST /v2/support/report" -> assertRefused(answer, 404, "not_found", what);
            // Reading a report about this handle.
            case "GET /v2/support/reports/{reportId}" -> assertRefused(answer, 404, "not_found", what);
            // Listing: the stranger's reports, none about this handle.
            case "GET /v2/support/reports" -> {
                assertThat(answer.status()).as(what).isEqualTo(200);
                answer.body().path("data").forEach(report -> assertThat(report.path("handle").asString(""))
                        .as(what).isNotEqualTo(own.handle));
            }
            // The fleet is the operator handle's: a tenant's admin token does not find it.
            case "GET /v2/fleet/workers", "GET /v2/fleet/workers/{workerId}", "POST /v2/fleet/workers/{workerId}/drain",
                    "POST /v2/fleet/workers/{workerId}/undrain" -> {
                assertRefused(answer, 404, "not_found", what);
                assertThat(answer.body().toString()).as(what).doesNotContain(Stack.get().workerId)
                        .doesNotContain(Stack.OPERATOR_HANDLE + "'");
            }
            // Listing: the stranger's own (empty) list, none of this handle's tokens.
            case "GET /v2/tokens" -> {
                assertThat(answer.status()).as(what).isEqualTo(200);
                answer.body().path("data").forEach(token -> assertThat(token.path("handles").toString()).as(what)
                        .doesNotContain(own.handle));
            }
            default -> throw new AssertionError(route + " names no handle in its path: say here what a token of"
                    + " another handle gets from it");
        }
    }

    private static void checkHeadUnderAnotherHandle(Route route) {
        Answer answer = send("HEAD", pathOf(route), jwt(List.of(otherHandle), ALL_SCOPES + " admin"), null);
        CELLS.incrementAndGet();
        assertThat(answer.status()).as("HEAD " + route.template() + " with another handle's token").isEqualTo(404);
    }

    private static void assertRefused(Answer answer, int status, String code, String what) {
        assertThat(answer.status()).as(what).isEqualTo(status);
        assertThat(answer.error().path("code").asString()).as(what).isEqualTo(code);
        assertThat(answer.error().path("message").asString()).as(what).isNotBlank();
        assertThat(answer.error().path("request_id").asString()).as(what)
                .isEqualTo(answer.headers().firstValue("X-Request-Id").orElse("missing"));
    }

    // ---------------------------------------------------------------- tokens, paths, bodies

    private static String tokenFor(Route route, Kind kind) {
        String scope = route.scope() == null ? ALL_SCOPES : route.scope();
        boolean fleet = route.template().startsWith("/v2/fleet/");
        List<String> handles = List.of(fleet ? Stack.OPERATOR_HANDLE : own.handle);
        long now = Instant.now().getEpochSecond();
        Map<String, Object> valid = Jwts.claims("user:matrix", handles, scope);
        return switch (kind) {
            case NO_TOKEN -> null;
            case GARBAGE -> "garbage-" + UUID.randomUUID();
            case EXPIRED -> Jwts.hs256(Stack.JWT_SECRET, Jwts.with(valid, "iat", now - 7200, "exp", now - 3600));
            case NOT_YET_VALID -> Jwts.hs256(Stack.JWT_SECRET, Jwts.with(valid, "nbf", now + 3600));
            case ALG_NONE -> Jwts.unsecured(valid);
            case WRONG_ISSUER -> Jwts.hs256(Stack.JWT_SECRET, Jwts.with(valid, "iss", "someone-else"));
            case WRONG_AUDIENCE -> Jwts.hs256(Stack.JWT_SECRET, Jwts.with(valid, "aud", "another-api"));
            case MISSING_SCOPE ->
                    jwt(handles, route.scope() == null ? "" : String.join(" ", allScopesBut(route.scope())));
            case OTHER_HANDLE -> jwt(List.of(otherHandle), ALL_SCOPES + " admin");
            case REVOKED_PAT -> revokedPat;
            case EXPIRED_PAT -> expiredPat;
            case VALID_JWT -> jwt(handles, scope);
            case VALID_PAT -> fleet ? operatorPat
                    : route.scope() == null ? PAT_BY_SCOPE.get("admin") : PAT_BY_SCOPE.get(route.scope());
        };
    }

    private static List<String> allScopesBut(String scope) {
        List<String> others = new ArrayList<>(List.of(ALL_SCOPES.split(" ")));
        others.remove(scope);
        return others;
    }

    private static String pathOf(Route route) {
        Matcher variable = VARIABLE.matcher(route.template());
        StringBuilder path = new StringBuilder();
        while (variable.find()) {
            String value = switch (variable.group(1)) {
                case "handle" -> own.handle;
                case "runtimeKey" -> route.method().equals("PUT") ? "matrix" : "busybox";
                case "runtime" -> "busybox";
                case "runId" -> runId;
                case "tokenId" -> victimTokenId;
                case "reportId" -> reportId;
                // The stack's worker to read; a worker that does not exist to drain and undrain (see the class).
                case "workerId" -> route.method().equals("GET") ? Stack.get().workerId : "matrix-no-such-worker";
                default -> throw new AssertionError("path variable {" + variable.group(1) + "} of " + route
                        + ": say here what value names an existing resource");
            };
            variable.appendReplacement(path, Matcher.quoteReplacement(value));
        }
        variable.appendTail(path);
        return path.toString();
    }

    /** A valid request body for the routes this test knows; {@code {}} for a route it does not (yet). */
    private static Object bodyOf(Route route) {
        return switch (route.operationId()) {
            case "putRuntime" -> Map.of("image", Map.of("uri", Tenant.REGISTRY + "/coderun/busybox",
                    "digest", Tenant.digestOf("coderun/busybox", "latest")), "sandbox", Map.of("timeout_seconds", 20));
            case "submitRun" -> Map.of("runtime_key", "busybox", "command", "true");
            case "submitRunBatch" -> Map.of("runs", List.of(Map.of("runtime_key", "busybox", "command", "true")));
            case "execBuffered" -> Map.of("command", "true");
            case "createToken" -> Map.of("name", "matrix", "handles", List.of(own.handle), "scopes",
                    List.of("runs:read"));
            case "fileSupportReport" -> Map.of("summary", "matrix", "details", "filed by the auth matrix", "handle",
                    own.handle);
            case "validateRuntimeImage", "cancelRun" -> null;
            default -> route.method().equals("POST") || route.method().equals("PUT") ? Map.of() : null;
        };
    }

    private static boolean knows(Route route) {
        return Set.of("listRuntimes", "putRuntime", "getRuntime", "validateRuntimeImage", "submitRun", "listRuns",
                "getRun", "getRunOutput", "cancelRun", "submitRunBatch", "streamRunEvents", "streamHandleEvents",
                "getLimits", "execBuffered", "createToken", "listTokens", "revokeToken", "fileSupportReport",
                "listSupportReports", "getSupportReport", "listWorkers", "getWorker").contains(route.operationId());
    }

    private static String jwt(List<String> handles, String scope) {
        return Api.token(Stack.JWT_SECRET, "user:matrix", handles, scope);
    }

    private static JsonNode mint(String adminJwt, String name, List<String> scopes) {
        Answer minted = send("POST", "/v2/tokens", adminJwt,
                Map.of("name", name, "handles", List.of(own.handle), "scopes", scopes));
        assertThat(minted.status()).as(minted.body().toString()).isEqualTo(201);
        TOKENS_SENT.add(minted.body().path("data").path("token").asString());
        return minted.body().path("data");
    }

    private static Instant lastUsed(String tokenId) throws SQLException {
        try (var db = Stack.get().database(); var query = db.prepareStatement(
                "select last_used_at from personal_access_tokens where id = ?")) {
            query.setObject(1, UUID.fromString(tokenId));
            try (var rows = query.executeQuery()) {
                assertThat(rows.next()).isTrue();
                var at = rows.getTimestamp(1);
                return at == null ? null : at.toInstant();
            }
        }
    }

    /** One request; an event stream's answer is not read past its headers (the handle stream never ends). */
    private static Answer send(String method, String path, String token, Object body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(Api.JSON.writeValueAsString(body)));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            TOKENS_SENT.add(token);
            request.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            boolean stream = response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream");
            byte[] bytes;
            try (InputStream in = response.body()) {
                bytes = stream || method.equals("HEAD") ? new byte[0] : in.readAllBytes();
            }
            JsonNode json = bytes.length == 0 ? Api.JSON.createObjectNode() : Api.JSON.readTree(bytes);
            return new Answer(response.statusCode(), json, response.headers());
        } catch (Exception e) {
            throw new IllegalStateException(method + " " + path + " failed", e);
        }
    }
}

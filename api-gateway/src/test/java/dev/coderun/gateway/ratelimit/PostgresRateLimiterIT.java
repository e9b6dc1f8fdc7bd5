package dev.coderun.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.gateway.MutableClock;
import dev.coderun.gateway.TestDatabase;
import dev.coderun.gateway.api.ApiException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The buckets against the real PostgreSQL: two limiters over one database stand in for two gateway instances, and
 * time is a clock the test moves, never a sleep.
 */
class PostgresRateLimiterIT {

    private static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    private static RateLimitProperties properties;
    private static PostgresRateLimiter gatewayA;
    private static PostgresRateLimiter gatewayB;
    private static TestDatabase database;

    @BeforeAll
    static void twoGatewaysOnOneDatabase() {
        database = TestDatabase.create("coderun_ratelimit_it");
        properties = new Binder(new MapConfigurationPropertySource(Map.of(
                "coderun.rate-limits.reads.capacity", "3",
                "coderun.rate-limits.reads.refill-per-second", "1",
                "coderun.rate-limits.writes.capacity", "50",
                "coderun.rate-limits.writes.refill-per-second", "1",
                "coderun.rate-limits.streams.capacity", "1",
                "coderun.rate-limits.streams.refill-per-second", "0.5")))
                .bindOrCreate("coderun.rate-limits", RateLimitProperties.class);
        gatewayA = new PostgresRateLimiter(
                database.jdbcUrl(), TestDatabase.USER, TestDatabase.PASSWORD, properties, CLOCK);
        gatewayB = new PostgresRateLimiter(
                database.jdbcUrl(), TestDatabase.USER, TestDatabase.PASSWORD, properties, CLOCK);
    }

    @AfterAll
    static void close() {
        gatewayA.close();
        gatewayB.close();
    }

    @Test
    void anEmptyBucketRefusesWithTheWaitForTheNextTokenAndRefillsAsTheClockMoves() {
        CLOCK.set(Instant.parse("2026-11-23T10:00:00Z"));
        String token = aToken();

        assertThat(gatewayA.consume(token, RouteClass.READS).block())
                .isEqualTo(new RateBudget.Verdict(new RateBudget(3, 2, 1), null));
        assertThat(gatewayA.consume(token, RouteClass.READS).block())
                .isEqualTo(new RateBudget.Verdict(new RateBudget(3, 1, 2), null));
        assertThat(gatewayA.consume(token, RouteClass.READS).block())
                .isEqualTo(new RateBudget.Verdict(new RateBudget(3, 0, 3), null));
        assertThat(gatewayA.consume(token, RouteClass.READS).block())
                .isEqualTo(new RateBudget.Verdict(new RateBudget(3, 0, 3), Duration.ofSeconds(1)));

        CLOCK.advance(Duration.ofMillis(400));
        RateBudget.Verdict early = gatewayA.consume(token, RouteClass.READS).block();
        assertThat(early.allowed()).isFalse();
        assertThat(early.retryAfter()).isEqualTo(Duration.ofMillis(600));

        CLOCK.advance(Duration.ofMillis(600));
        assertThat(gatewayA.consume(token, RouteClass.READS).block().allowed()).isTrue();

        CLOCK.advance(Duration.ofSeconds(10));
        assertThat(gatewayA.consume(token, RouteClass.READS).block())
                .as("refilled to capacity, never beyond")
                .isEqualTo(new RateBudget.Verdict(new RateBudget(3, 2, 1), null));
    }

    @Test
    void aFractionalRefillGivesOneRequestPerSeveralSeconds() {
        CLOCK.set(Instant.parse("2026-11-28T10:00:00Z"));
        String token = aToken();

        assertThat(gatewayA.consume(token, RouteClass.STREAMS).block().allowed()).isTrue();
        RateBudget.Verdict refused = gatewayA.consume(token, RouteClass.STREAMS).block();
        assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(2));
        assertThat(refused.budget()).isEqualTo(new RateBudget(1, 0, 2));

        CLOCK.advance(Duration.ofMillis(1999));
        assertThat(gatewayA.consume(token, RouteClass.STREAMS).block().allowed()).isFalse();
        CLOCK.advance(Duration.ofMillis(1));
        assertThat(gatewayA.consume(token, RouteClass.STREAMS).block().allowed()).isTrue();
    }

    @Test
    void eachTokenAndEachRouteClassHasItsOwnBucket() {
        CLOCK.set(Instant.parse("2026-11-24T10:00:00Z"));
        String token = aToken();
        for (int i = 0; i < 3; i++) {
            gatewayA.consume(token, RouteClass.READS).block();
        }

        assertThat(gatewayA.consume(token, RouteClass.READS).block().allowed()).isFalse();
        assertThat(gatewayA.consume(token, RouteClass.WRITES).block().budget().remaining()).isEqualTo(49);
        assertThat(gatewayA.consume(aToken(), RouteClass.READS).block().budget().remaining()).isEqualTo(2);
    }

    @Test
    void twoGatewaysDrawOnOneBucket() {
        CLOCK.set(Instant.parse("2026-11-25T10:00:00Z"));
        String token = aToken();

        assertThat(gatewayA.consume(token, RouteClass.READS).block().budget().remaining()).isEqualTo(2);
        assertThat(gatewayB.consume(token, RouteClass.READS).block().budget().remaining()).isEqualTo(1);
        assertThat(gatewayA.consume(token, RouteClass.READS).block().budget().remaining()).isZero();
        assertThat(gatewayB.consume(token, RouteClass.READS).block().allowed()).isFalse();
        assertThat(gatewayB.budgets(token).block().get(RouteClass.READS)).isEqualTo(new RateBudget(3, 0, 3));

        CLOCK.advance(Duration.ofSeconds(1));
        assertThat(gatewayB.consume(token, RouteClass.READS).block().allowed()).isTrue();
        assertThat(gatewayA.consume(token, RouteClass.READS).block().allowed()).isFalse();
    }

    @Test
    void concurrentRequestsThroughBothGatewaysGetExactlyTheCapacity() throws Exception {
        CLOCK.set(Instant.parse("2026-11-26T10:00:00Z"));
        String token = aToken();
        int requests = 80;
        List<Callable<Boolean>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < requests; i++) {
            PostgresRateLimiter gateway = i % 2 == 0 ? gatewayA : gatewayB;
            calls.add(() -> gateway.consume(token, RouteClass.WRITES).block().allowed());
        }

        int allowed = 0;
        try (ExecutorService clients = Executors.newFixedThreadPool(16)) {
            for (Future<Boolean> answer : clients.invokeAll(calls)) {
                allowed += answer.get() ? 1 : 0;
            }
        }

        assertThat(allowed).as("the clock stood still: no refill, no token given twice").isEqualTo(50);
        assertThat(gatewayA.budgets(token).block().get(RouteClass.WRITES).remaining()).isZero();
    }

    @Test
    void readingTheBudgetsTakesNothing() {
        CLOCK.set(Instant.parse("2026-11-27T10:00:00Z"));
        String token = aToken();
        gatewayA.consume(token, RouteClass.READS).block();

        Map<RouteClass, RateBudget> budgets = gatewayB.budgets(token).block();
        assertThat(budgets).containsEntry(RouteClass.READS, new RateBudget(3, 2, 1))
                .containsEntry(RouteClass.WRITES, new RateBudget(50, 50, 0))
                .containsEntry(RouteClass.EXEC, new RateBudget(200, 200, 0))
                .containsEntry(RouteClass.STREAMS, new RateBudget(1, 1, 0));
        assertThat(gatewayB.budgets(token).block()).isEqualTo(budgets);
    }

    @Test
    void rowsOfBucketsPastTheirExpiryArePurgedAndLiveOnesKept() throws Exception {
        CLOCK.set(Instant.parse("2026-11-29T10:00:00Z"));
        String live = aToken();
        gatewayA.consume(live, RouteClass.READS).block();
        try (var db = database.connect(); var sql = db.createStatement()) {
            sql.execute("insert into rate_limit_buckets (id, state, expires_at) values ('reads:stale', null, 1)");
        }

        assertThat(gatewayB.purgeExpired()).isGreaterThanOrEqualTo(1);

        try (var db = database.connect(); var sql = db.createStatement();
                var rows = sql.executeQuery("select id from rate_limit_buckets where id like 'reads:%'")) {
            List<String> ids = new java.util.ArrayList<>();
            while (rows.next()) {
                ids.add(rows.getString(1));
            }
            assertThat(ids).doesNotContain("reads:stale").anyMatch(id -> id.endsWith(live));
        }
    }

    @Test
    void bucketsThatCannotBeReachedAre503UpstreamUnavailableNotALimitSkipped() {
        PostgresRateLimiter cutOff = new PostgresRateLimiter(
                database.jdbcUrl(), TestDatabase.USER, TestDatabase.PASSWORD, properties, CLOCK);
        cutOff.close();

        assertThatThrownBy(() -> cutOff.consume(aToken(), RouteClass.READS).block())
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status().value()).isEqualTo(503);
                    assertThat(e.code()).isEqualTo("upstream_unavailable");
                });
        assertThatThrownBy(() -> cutOff.budgets(aToken()).block()).isInstanceOf(ApiException.class);
    }

    private static String aToken() {
        return "jwt:" + UUID.randomUUID();
    }
}

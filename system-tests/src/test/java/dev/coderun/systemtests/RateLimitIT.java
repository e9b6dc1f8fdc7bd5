package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rate limits over HTTP between real gateway processes: two more gateways on the stack's database, started with a
 * small read budget (4, refilled at one request per 1000 s, so nothing refills while the test runs), take from one
 * bucket per token; an empty bucket answers 429 {@code rate_limited} with {@code Retry-After} and the
 * {@code RateLimit-*} headers, from either gateway. Exhaustion and recovery against a controlled clock are in the
 * gateway's LimitsIT and PostgresRateLimiterIT.
 */
class RateLimitIT {

    private static final List<String> SMALL_READ_BUDGET = List.of(
            "--coderun.rate-limits.reads.capacity=4", "--coderun.rate-limits.reads.refill-per-second=0.001");

    private static String gatewayA;
    private static String gatewayB;

    @BeforeAll
    static void twoGatewaysWithASmallReadBudget() {
        Stack stack = Stack.get();
        gatewayA = stack.startAnotherGateway("gateway-rl-a", SMALL_READ_BUDGET);
        gatewayB = stack.startAnotherGateway("gateway-rl-b", SMALL_READ_BUDGET);
    }

    @Test
    void twoGatewaysDrawOnOneBucketAndAnEmptyBucketIs429RateLimitedWithItsHeaders() {
        String handle = "rl-" + UUID.randomUUID().toString().substring(0, 8);
        String token = Api.token(Stack.JWT_SECRET, "user:rl-" + UUID.randomUUID(), List.of(handle), "runs:read");
        String limits = "/v2/handles/" + handle + "/limits";
        Api a = new Api(gatewayA, token);
        Api b = new Api(gatewayB, token);

        int remaining = 3;
        for (Api gateway : List.of(a, b, a, b)) {
            Api.Response ok = gateway.get(limits);
            assertThat(ok.status()).as(ok.body().toString()).isEqualTo(200);
            assertThat(header(ok, "RateLimit-Limit")).isEqualTo("4");
            assertThat(header(ok, "RateLimit-Remaining")).as("each gateway sees the other's requests")
                    .isEqualTo(String.valueOf(remaining--));
        }
        for (Api gateway : List.of(a, b)) {
            Api.Response limited = gateway.get(limits);
            assertThat(limited.status()).isEqualTo(429);
            assertThat(limited.error().get("code").asString()).isEqualTo("rate_limited");
            assertThat(limited.error().get("request_id").asString()).isEqualTo(header(limited, "X-Request-Id"));
            assertThat(header(limited, "RateLimit-Limit")).isEqualTo("4");
            assertThat(header(limited, "RateLimit-Remaining")).isEqualTo("0");
            // One request per 1000 s: the next is due in (just under) 1000 s, a full bucket in (just under) 4000 s.
            assertThat(Long.parseLong(header(limited, "Retry-After"))).isBetween(900L, 1000L);
            assertThat(Long.parseLong(header(limited, "RateLimit-Reset"))).isBetween(3900L, 4000L);
        }

        Api.Response main = new Api(Stack.get().gatewayUrl, token).get(limits);
        assertThat(main.status()).as("the main gateway's budget is another limit, so another bucket").isEqualTo(200);
        assertThat(header(main, "RateLimit-Limit")).isEqualTo("2000");
        Api.Response other = new Api(gatewayA, Api.token(Stack.JWT_SECRET, "user:rl-" + UUID.randomUUID(),
                List.of(handle), "runs:read")).get(limits);
        assertThat(header(other, "RateLimit-Remaining")).as("another token, its own bucket").isEqualTo("3");
    }

    @Test
    void writesHaveTheirOwnBucketAndTheLimitsRouteShowsThem() {
        String handle = "rl-" + UUID.randomUUID().toString().substring(0, 8);
        Api api = new Api(gatewayA, Api.token(Stack.JWT_SECRET, "user:rl-" + UUID.randomUUID(), List.of(handle),
                "runs:read runs:write"));

        Api.Response cancel = api.post("/v2/handles/" + handle + "/code-runs/" + UUID.randomUUID() + "/cancel", null);
        assertThat(cancel.status()).isEqualTo(404);
        assertThat(header(cancel, "RateLimit-Limit")).as("the default writes budget").isEqualTo("2000");
        assertThat(header(cancel, "RateLimit-Remaining")).isEqualTo("1999");

        var rateLimits = api.get("/v2/handles/" + handle + "/limits").data().get("rate_limits");
        assertThat(rateLimits.get("reads").get("limit").asLong()).isEqualTo(4);
        assertThat(rateLimits.get("reads").get("remaining").asLong()).isEqualTo(3);
        assertThat(rateLimits.get("writes").get("limit").asLong()).isEqualTo(2000);
        // At 1000 a second the cancel's request is back in the bucket within a millisecond: 1999 or 2000.
        assertThat(rateLimits.get("writes").get("remaining").asLong()).isBetween(1999L, 2000L);
        assertThat(rateLimits.get("exec").get("limit").asLong()).isEqualTo(200);
        assertThat(rateLimits.get("streams").get("limit").asLong()).isEqualTo(1000);
    }

    @Test
    void aGatewayWithRateLimitingOffSendsNoBudgetAndStillKeepsTheQuota() {
        String off = Stack.get().startAnotherGateway("gateway-rl-off", List.of("--coderun.rate-limits.enabled=false"));
        String handle = "rl-" + UUID.randomUUID().toString().substring(0, 8);
        Api api = new Api(off, Api.token(Stack.JWT_SECRET, "user:rl-" + UUID.randomUUID(), List.of(handle),
                "runs:read"));

        Api.Response limits = api.get("/v2/handles/" + handle + "/limits");

        assertThat(limits.status()).isEqualTo(200);
        assertThat(header(limits, "RateLimit-Limit")).isNull();
        assertThat(limits.data().get("rate_limits").isNull()).isTrue();
        assertThat(limits.data().get("daily_writes").get("limit").asLong()).isEqualTo(1_000_000);
    }

    private static String header(Api.Response response, String name) {
        return response.raw().headers().firstValue(name).orElse(null);
    }
}

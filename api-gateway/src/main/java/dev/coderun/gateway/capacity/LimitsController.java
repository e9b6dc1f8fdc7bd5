package dev.coderun.gateway.capacity;

import dev.coderun.gateway.api.Envelopes;
import dev.coderun.gateway.auth.Caller;
import dev.coderun.gateway.quota.DailyWriteQuota;
import dev.coderun.gateway.ratelimit.PostgresRateLimiter;
import dev.coderun.gateway.ratelimit.RateBudget;
import dev.coderun.gateway.ratelimit.RouteClass;
import java.util.Map;
import java.util.Optional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v2/handles/{handle}/limits} (scope {@code runs:read}): active and queued runs with the scheduler's
 * limits, today's writes against the daily quota, and the calling token's rate-limit buckets, so a client can check
 * its room before submitting. Runs are counted from the read model, which follows the scheduler's events: a moment
 * behind it, never ahead.
 */
@RestController
class LimitsController {

    private final PostgresUsageRepository usage;
    private final CapacityProperties capacity;
    private final DailyWriteQuota quota;
    private final Optional<PostgresRateLimiter> rateLimiter;

    LimitsController(
            PostgresUsageRepository usage, CapacityProperties capacity, DailyWriteQuota quota,
            Optional<PostgresRateLimiter> rateLimiter) {
        this.usage = usage;
        this.capacity = capacity;
        this.quota = quota;
        this.rateLimiter = rateLimiter;
    }

    @GetMapping("/v2/handles/{handle}/limits")
    Mono<Envelopes.Data<HandleLimits>> limits(@PathVariable String handle, ServerWebExchange exchange) {
        Caller caller = Caller.of(exchange);
        Mono<Optional<Map<RouteClass, RateBudget>>> rates = rateLimiter
                .map(limiter -> limiter.budgets(caller.tokenId()).map(Optional::of))
                .orElse(Mono.just(Optional.empty()));
        return Mono.zip(usage.usage(handle), quota.usage(handle), rates)
                .map(all -> Envelopes.data(
                        HandleLimits.of(all.getT1(), capacity, all.getT2(), all.getT3().orElse(null))));
    }
}

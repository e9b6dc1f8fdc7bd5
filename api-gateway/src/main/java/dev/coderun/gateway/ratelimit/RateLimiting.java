package dev.coderun.gateway.ratelimit;

import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.auth.Caller;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.core.annotation.Order;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Takes one request from the caller's bucket for the route's {@link RouteClass} before any API route runs
 * ({@code /v1/**}, {@code /v2/**}; health and docs are not limited). Allowed: the response carries the bucket's
 * {@code RateLimit-Limit}, {@code RateLimit-Remaining} and {@code RateLimit-Reset}. Refused: 429 {@code rate_limited}
 * with those headers and {@code Retry-After}. Ordered at 0, after authentication (which runs at negative orders), so
 * the caller is known. When the buckets cannot be reached the request is 503 {@code upstream_unavailable}: limits are
 * kept, not skipped, during a database outage.
 */
@Order(0)
class RateLimiting implements WebFilter {

    private final PostgresRateLimiter limiter;
    private final MeterRegistry meters;

    RateLimiting(PostgresRateLimiter limiter, MeterRegistry meters) {
        this.limiter = limiter;
        this.meters = meters;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        if (!path.startsWith("/v1/") && !path.startsWith("/v2/")) {
            return chain.filter(exchange);
        }
        Caller caller = Caller.of(exchange);
        RouteClass routeClass = RouteClass.of(exchange.getRequest().getMethod(), path);
        return limiter.consume(caller.tokenId(), routeClass)
                .flatMap(verdict -> {
                    verdict.budget().writeTo(exchange.getResponse().getHeaders());
                    if (!verdict.allowed()) {
                        // One series per route class (a handful), never per token.
                        meters.counter("coderun.ratelimit.rejections", "route_class", routeClass.key()).increment();
                        return Mono.error(ApiException.rateLimited("too many " + routeClass.key()
                                + " requests for this token; retry after Retry-After seconds", verdict.retryAfter()));
                    }
                    return chain.filter(exchange);
                });
    }
}

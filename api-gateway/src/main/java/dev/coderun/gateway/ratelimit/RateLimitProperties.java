package dev.coderun.gateway.ratelimit;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Per-token rate limits by {@link RouteClass} ({@code coderun.rate-limits.*}). Each token has one bucket per class: it
 * holds at most {@code capacity} requests and gains {@code refill-per-second} back, continuously; a request takes one
 * and is refused 429 {@code rate_limited} when none is left. The defaults only stop a runaway client: the demo, the
 * system tests, {@code bin/coderun bench} (3,200 single submits from 32 clients, ~400/s on 2 cores) and
 * {@code infra/scripts/bench-*.sh} stay within them.
 *
 * @param enabled false turns rate limiting off entirely (no bucket, no headers, no database work): for measuring the
 *     raw cost of a route
 * @param reads {@link RouteClass#READS}; default 2000, refilled at 1000/s
 * @param writes {@link RouteClass#WRITES}; default 2000, refilled at 1000/s (a batch of 1000 runs is one request)
 * @param exec {@link RouteClass#EXEC}; default 200, refilled at 50/s
 * @param streams {@link RouteClass#STREAMS}, counted when a stream opens; default 1000, refilled at 100/s
 *     ({@code infra/scripts/bench-sse.sh} opens 500 subscribers of one token at once)
 * @param maxConnections the JDBC pool the buckets are read and written through (its own, beside R2DBC's)
 * @param requestTimeout the longest one bucket operation may take (connection and statements); past it the request is
 *     503 {@code upstream_unavailable}, as for any database outage
 * @param purgeInterval how often bucket rows that have refilled completely (and so say nothing) are deleted
 */
@ConfigurationProperties("coderun.rate-limits")
public record RateLimitProperties(
        @DefaultValue("true") boolean enabled,
        Limit reads,
        Limit writes,
        Limit exec,
        Limit streams,
        @DefaultValue("8") int maxConnections,
        @DefaultValue("2s") Duration requestTimeout,
        @DefaultValue("10m") Duration purgeInterval) {

    /**
     * One class's bucket.
     *
     * @param capacity the most requests in a burst (and the bucket's size); at least 1
     * @param refillPerSecond requests regained per second, continuously; may be a fraction (0.5 is one every two
     *     seconds), at least {@link #MIN_REFILL_PER_SECOND}
     */
    public record Limit(Long capacity, Double refillPerSecond) {}

    /** The slowest refill: one request per 1000 seconds. */
    public static final double MIN_REFILL_PER_SECOND = 0.001;

    public RateLimitProperties {
        reads = resolve(RouteClass.READS, reads, 2000, 1000);
        writes = resolve(RouteClass.WRITES, writes, 2000, 1000);
        exec = resolve(RouteClass.EXEC, exec, 200, 50);
        streams = resolve(RouteClass.STREAMS, streams, 1000, 100);
        if (maxConnections < 1) {
            throw new IllegalArgumentException("coderun.rate-limits.max-connections must be at least 1");
        }
    }

    /** {@code given} with each unset value taken from the defaults; refused when a value is below 1. */
    private static Limit resolve(RouteClass routeClass, Limit given, long capacity, double refillPerSecond) {
        Limit limit = new Limit(
                given == null || given.capacity() == null ? capacity : given.capacity(),
                given == null || given.refillPerSecond() == null ? refillPerSecond : given.refillPerSecond());
        if (limit.capacity() < 1 || !(limit.refillPerSecond() >= MIN_REFILL_PER_SECOND)) {
            throw new IllegalArgumentException("coderun.rate-limits." + routeClass.key()
                    + ": capacity must be at least 1 and refill-per-second at least " + MIN_REFILL_PER_SECOND);
        }
        return limit;
    }

    /** The limit of {@code routeClass}. */
    public Limit of(RouteClass routeClass) {
        return switch (routeClass) {
            case READS -> reads;
            case WRITES -> writes;
            case EXEC -> exec;
            case STREAMS -> streams;
        };
    }
}

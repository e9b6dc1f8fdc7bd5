package dev.coderun.gateway.ratelimit;

import com.zaxxer.hikari.HikariConfig;
import dev.coderun.gateway.api.ApiException;
import com.zaxxer.hikari.HikariDataSource;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.BucketNotFoundException;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.github.bucket4j.postgresql.PostgreSQLSelectForUpdateBasedProxyManager;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The token buckets, kept in PostgreSQL (table {@code rate_limit_buckets}, V5) through bucket4j's PostgreSQL proxy
 * manager, so every gateway instance draws on the same bucket: one transaction per request locks the bucket's row
 * ({@code select ... for update}), refills it for the time passed, takes a token and writes it back. bucket4j's JDBC
 * support blocks, so each call runs on Reactor's bounded-elastic threads, never on the event loop.
 *
 * <p>A bucket is keyed by its class, its limit and the token ({@link dev.coderun.gateway.auth.Caller#tokenId()}):
 * a changed limit names a new bucket, which starts full (the old row expires). Time comes from the gateway's
 * {@link Clock} (bucket4j's client-side clock), so tests control it. Concurrent requests of one token to one gateway
 * share a round trip: the bucket's proxy is kept and batches what arrives while a transaction is in flight (bucket4j's
 * batching optimization). A row is written with the time its bucket will be full again (plus a minute) and deleted
 * after that by {@link #purgeExpired}.
 *
 * @see dev.coderun.gateway.auth.Caller#tokenId()
 */
public class PostgresRateLimiter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PostgresRateLimiter.class);

    /** Proxies kept for batching; past this many, the map starts over (a proxy holds no state of its own). */
    private static final int MAX_KEPT_PROXIES = 10_000;
    private static final Duration KEEP_FULL_BUCKETS = Duration.ofMinutes(1);
    private static final int PURGE_BATCH = 1000;
    /**
     * Greedy refill adds tokens continuously, so {@code refill-per-second} r is r x 1000 tokens per 1000 s: the same
     * rate, with fractions of a request per second down to {@link RateLimitProperties#MIN_REFILL_PER_SECOND}.
     */
    private static final Duration REFILL_PERIOD = Duration.ofSeconds(1000);

    private final HikariDataSource pool;
    private final PostgreSQLSelectForUpdateBasedProxyManager<String> buckets;
    private final RateLimitProperties properties;
    private final Map<RouteClass, BucketConfiguration> configurations = new EnumMap<>(RouteClass.class);
    private final Map<String, BucketProxy> proxies = new ConcurrentHashMap<>();

    /** Opens its own small JDBC pool to {@code jdbcUrl} ({@link RateLimitProperties#maxConnections()}). */
    public PostgresRateLimiter(
            String jdbcUrl, String user, String password, RateLimitProperties properties, Clock clock) {
        this.properties = properties;
        HikariConfig config = new HikariConfig();
        config.setPoolName("rate-limits");
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(properties.maxConnections());
        // An idle gateway holds few connections; the pool grows under load.
        config.setMinimumIdle(Math.min(2, properties.maxConnections()));
        config.setConnectionTimeout(Math.max(250, properties.requestTimeout().toMillis()));
        this.pool = new HikariDataSource(config);
        this.buckets = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(pool)
                .primaryKeyMapper(PrimaryKeyMapper.STRING)
                .table("rate_limit_buckets")
                .idColumn("id")
                .stateColumn("state")
                .expiresAtColumn("expires_at")
                .clientClock(new ClockTimeMeter(clock))
                .requestTimeout(properties.requestTimeout())
                .expirationAfterWrite(
                        ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEEP_FULL_BUCKETS))
                .build();
        for (RouteClass routeClass : RouteClass.values()) {
            RateLimitProperties.Limit limit = properties.of(routeClass);
            configurations.put(routeClass, BucketConfiguration.builder()
                    .addLimit(Bandwidth.builder()
                            .capacity(limit.capacity())
                            .refillGreedy(refillTokens(limit), REFILL_PERIOD)
                            .build())
                    .build());
        }
    }

    /**
     * Takes one request of {@code routeClass} from the token's bucket: allowed, or refused with how long to wait. Fails
     * with 503 {@code upstream_unavailable} when the buckets cannot be reached.
     */
    public Mono<RateBudget.Verdict> consume(String tokenId, RouteClass routeClass) {
        long capacity = properties.of(routeClass).capacity();
        return Mono.fromCallable(() -> {
                    try {
                        return bucket(tokenId, routeClass).tryConsumeAndReturnRemaining(1);
                    } catch (RuntimeException e) {
                        if (!bucketNotFound(e)) {
                            throw e;
                        }
                        // bucket4j 8.14's batching does not recover a bucket that does not exist yet (or was purged)
                        // when several requests were merged: it throws instead of creating it. A proxy without the
                        // optimization creates it.
                        return unbatched(tokenId, routeClass).tryConsumeAndReturnRemaining(1);
                    }
                })
                .subscribeOn(Schedulers.boundedElastic())
                .onErrorMap(e -> unavailable(routeClass, e))
                .map(probe -> verdict(capacity, probe));
    }

    /** What each of the token's buckets holds now, taking nothing from them; 503 as {@link #consume} fails. */
    public Mono<Map<RouteClass, RateBudget>> budgets(String tokenId) {
        return Flux.fromArray(RouteClass.values())
                .flatMap(routeClass -> {
                    long capacity = properties.of(routeClass).capacity();
                    return Mono.fromCallable(() -> unbatched(tokenId, routeClass).estimateAbilityToConsume(capacity))
                            .subscribeOn(Schedulers.boundedElastic())
                            .onErrorMap(e -> unavailable(routeClass, e))
                            .map(probe -> Map.entry(routeClass, budget(capacity, probe)));
                })
                .collectMap(Map.Entry::getKey, Map.Entry::getValue, () -> new EnumMap<>(RouteClass.class));
    }

    /** Deletes the rows of buckets that have been full for a while; answers how many. Blocking. */
    public int purgeExpired() {
        int purged = 0;
        int batch;
        do {
            batch = buckets.removeExpired(PURGE_BATCH);
            purged += batch;
        } while (batch == PURGE_BATCH);
        return purged;
    }

    @Override
    public void close() {
        pool.close();
    }

    static RateBudget.Verdict verdict(long capacity, ConsumptionProbe probe) {
        RateBudget budget = new RateBudget(capacity, probe.getRemainingTokens(),
                RateBudget.ceilSeconds(probe.getNanosToWaitForReset()));
        Duration retryAfter = probe.isConsumed() ? null : Duration.ofNanos(probe.getNanosToWaitForRefill());
        return new RateBudget.Verdict(budget, retryAfter);
    }

    static RateBudget budget(long capacity, EstimationProbe probe) {
        return new RateBudget(capacity, probe.getRemainingTokens(),
                RateBudget.ceilSeconds(probe.canBeConsumed() ? 0 : probe.getNanosToWaitForRefill()));
    }

    /** The kept proxy of the bucket, which batches concurrent requests. */
    private BucketProxy bucket(String tokenId, RouteClass routeClass) {
        if (proxies.size() >= MAX_KEPT_PROXIES) {
            proxies.clear();
        }
        return proxies.computeIfAbsent(key(tokenId, routeClass), key -> buckets.builder()
                .withOptimization(Optimizations.batching())
                .build(key, () -> configurations.get(routeClass)));
    }

    /** A proxy of the bucket that sends each request on its own (and creates the bucket when it is missing). */
    private BucketProxy unbatched(String tokenId, RouteClass routeClass) {
        return buckets.builder().build(key(tokenId, routeClass), () -> configurations.get(routeClass));
    }

    private String key(String tokenId, RouteClass routeClass) {
        RateLimitProperties.Limit limit = properties.of(routeClass);
        return routeClass.key() + ":" + limit.capacity() + "/" + refillTokens(limit) + ":" + tokenId;
    }

    /** Tokens per {@link #REFILL_PERIOD}. */
    private static long refillTokens(RateLimitProperties.Limit limit) {
        return Math.round(limit.refillPerSecond() * REFILL_PERIOD.toSeconds());
    }

    private static ApiException unavailable(RouteClass routeClass, Throwable failure) {
        log.warn("the {} bucket could not be read or written: {}", routeClass.key(), failure.toString());
        return ApiException.upstreamUnavailable("the database is unavailable; try again shortly");
    }

    private static boolean bucketNotFound(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof BucketNotFoundException) {
                return true;
            }
        }
        return false;
    }
}

package dev.coderun.gateway.ratelimit;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.flyway.autoconfigure.FlywayConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Rate limiting, when {@code coderun.rate-limits.enabled} (the default): the buckets, reached with the credentials
 * Flyway migrates with ({@code spring.flyway.*}, the same database the service uses), the filter, and the purge of
 * expired buckets. Disabled, none of them exists and no request carries {@code RateLimit-*} headers.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(name = "coderun.rate-limits.enabled", matchIfMissing = true)
class RateLimitConfiguration {

    @Bean(destroyMethod = "close")
    PostgresRateLimiter postgresRateLimiter(
            FlywayConnectionDetails database, RateLimitProperties properties, Clock clock) {
        return new PostgresRateLimiter(
                database.getJdbcUrl(), database.getUsername(), database.getPassword(), properties, clock);
    }

    @Bean
    RateLimiting rateLimiting(PostgresRateLimiter limiter, MeterRegistry meters) {
        return new RateLimiting(limiter, meters);
    }

    @Bean
    ExpiredBucketPurge expiredBucketPurge(PostgresRateLimiter limiter, RateLimitProperties properties) {
        return new ExpiredBucketPurge(limiter, properties);
    }
}

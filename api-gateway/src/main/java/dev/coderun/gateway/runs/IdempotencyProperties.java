package dev.coderun.gateway.runs;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How idempotency keys are kept ({@code coderun.idempotency.*}).
 *
 * @param retention how long a key names its run: a repeat within it is a replay (or a 422 for another body); after it
 *     the key is free again
 * @param purgeInterval how often expired keys are deleted (every gateway instance purges; deleting twice is harmless)
 * @param inProgressWait how long a request waits for another request with its key that is still being accepted
 *     before it answers 409 {@code conflict}
 * @param staleClaimAfter a claim whose run was never accepted (its gateway died between claim and publish) is taken
 *     over after this long; well above the longest a publish can take ({@code SendBounds}, a few seconds)
 */
@ConfigurationProperties("coderun.idempotency")
public record IdempotencyProperties(
        @DefaultValue("24h") Duration retention,
        @DefaultValue("10m") Duration purgeInterval,
        @DefaultValue("3s") Duration inProgressWait,
        @DefaultValue("1m") Duration staleClaimAfter) {}

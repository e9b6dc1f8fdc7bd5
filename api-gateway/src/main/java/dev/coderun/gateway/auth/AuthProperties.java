package dev.coderun.gateway.auth;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Token checks ({@code coderun.auth.*}). JWTs are verified one of two ways: HS256 with {@code jwt-secret} (the
 * local stack: {@code bin/coderun token} signs with the same secret), or, when {@code jwks-uri} is set, RS256 with the
 * keys of that JWKS document (an identity provider's; the secret is then not used).
 *
 * @param jwtSecret the HS256 key shared with the token issuer; at least 32 characters; required unless
 *     {@code jwksUri} is set
 * @param jwksUri where the RS256 signing keys are published (a JWKS document); a token whose {@code kid} is not in the
 *     fetched document makes the gateway fetch it again, so a new key is picked up on its first use
 * @param issuer the {@code iss} every JWT must carry
 * @param audience the {@code aud} every JWT must carry
 * @param clockSkew tolerance on {@code exp} and {@code nbf}
 * @param lastUsedEvery how stale a personal access token's {@code last_used_at} may get: a gateway writes it on a
 *     token's first use and then at most once per this interval, not on every request
 */
@ConfigurationProperties("coderun.auth")
public record AuthProperties(
        String jwtSecret,
        URI jwksUri,
        @DefaultValue("coderun") String issuer,
        @DefaultValue("coderun-api") String audience,
        @DefaultValue("30s") Duration clockSkew,
        @DefaultValue("1m") Duration lastUsedEvery) {

    public AuthProperties {
        jwksUri = jwksUri == null || jwksUri.toString().isBlank() ? null : jwksUri;
        if (jwksUri == null && (jwtSecret == null || jwtSecret.length() < 32)) {
            throw new IllegalArgumentException("coderun.auth.jwt-secret (CODERUN_JWT_SECRET) must be set to at least 32"
                    + " characters, or coderun.auth.jwks-uri (CODERUN_JWKS_URI) to a JWKS document");
        }
        if (clockSkew.isNegative() || lastUsedEvery.isNegative()) {
            throw new IllegalArgumentException("coderun.auth: clock-skew and last-used-every must not be negative");
        }
    }
}

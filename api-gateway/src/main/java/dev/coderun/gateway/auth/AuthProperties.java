package dev.coderun.gateway.auth;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Token checks ({@code coderun.auth.*}).
 *
 * @param jwtSecret the HS256 key shared with the token issuer ({@code bin/coderun token}); at least 32 bytes
 * @param issuer the {@code iss} every token must carry
 * @param audience the {@code aud} every token must carry
 * @param clockSkew tolerance on {@code exp} and {@code nbf}
 */
@ConfigurationProperties("coderun.auth")
public record AuthProperties(
        String jwtSecret,
        @DefaultValue("coderun") String issuer,
        @DefaultValue("coderun-api") String audience,
        @DefaultValue("30s") Duration clockSkew) {

    public AuthProperties {
        if (jwtSecret == null || jwtSecret.length() < 32) {
            throw new IllegalArgumentException(
                    "coderun.auth.jwt-secret (CODERUN_JWT_SECRET) must be set to at least 32 characters");
        }
    }
}

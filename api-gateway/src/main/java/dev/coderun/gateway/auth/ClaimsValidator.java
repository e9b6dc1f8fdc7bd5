package dev.coderun.gateway.auth;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * The claims a verified JWT must carry: {@code exp} (required) not past and {@code nbf} (optional) not ahead, each
 * with {@code coderun.auth.clock-skew} of tolerance; our {@code iss}; our {@code aud} (a string, or an array holding
 * it); a non-blank {@code sub}. Nimbus has parsed the token and checked its signature by the time this runs; the
 * descriptions are what the client reads in its 401, so they name the rule and never echo a claim.
 */
final class ClaimsValidator implements OAuth2TokenValidator<Jwt> {

    private final AuthProperties properties;
    private final Clock clock;

    ClaimsValidator(AuthProperties properties, Clock clock) {
        this.properties = properties;
        this.clock = clock;
    }

    @Override
    public OAuth2TokenValidatorResult validate(Jwt jwt) {
        String problem = problem(jwt);
        return problem == null
                ? OAuth2TokenValidatorResult.success()
                : OAuth2TokenValidatorResult.failure(new OAuth2Error("invalid_token", problem, null));
    }

    private String problem(Jwt jwt) {
        Instant now = clock.instant();
        Instant expiresAt = jwt.getExpiresAt();
        if (expiresAt == null || expiresAt.plus(properties.clockSkew()).isBefore(now)) {
            return "token expired or without expiry";
        }
        Instant notBefore = jwt.getNotBefore();
        if (notBefore != null && notBefore.minus(properties.clockSkew()).isAfter(now)) {
            return "token not yet valid";
        }
        if (!properties.issuer().equals(jwt.getClaimAsString("iss"))) {
            return "wrong token issuer";
        }
        List<String> audience = jwt.getAudience();
        if (audience == null || !audience.contains(properties.audience())) {
            return "wrong token audience";
        }
        String subject = jwt.getSubject();
        if (subject == null || subject.isBlank()) {
            return "token without subject";
        }
        return null;
    }
}

package dev.coderun.gateway.auth;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.core.AuthenticationException;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Authenticates a personal access token: one indexed read by the SHA-256 of the secret on every request, so a
 * revocation or an expiry takes effect on the very next request, on every gateway. The token's {@code last_used_at}
 * is written on its first use and then at most once per {@code coderun.auth.last-used-every}: skipped while the row
 * read says it is recent, claimed in memory so concurrent requests of one token on one gateway write it once, and
 * conditional in SQL so two gateways do not both move it.
 */
@Component
class PatAuthentication {

    private static final Logger log = LoggerFactory.getLogger(PatAuthentication.class);

    private final PostgresPersonalAccessTokens tokens;
    private final AuthProperties properties;
    private final Clock clock = Clock.systemUTC();
    /** When this gateway last wrote each token's last_used_at. */
    private final Map<UUID, Instant> touched = new ConcurrentHashMap<>();

    PatAuthentication(PostgresPersonalAccessTokens tokens, AuthProperties properties) {
        this.tokens = tokens;
        this.properties = properties;
    }

    /** The token's caller; fails with {@link Refused} for a token that is unknown, revoked or expired. */
    Mono<Caller> authenticate(String bearer) {
        PatSecret secret = new PatSecret(bearer);
        if (!secret.wellFormed()) {
            return Mono.error(new Refused("malformed personal access token"));
        }
        return tokens.findBySecret(secret.sha256())
                .switchIfEmpty(Mono.error(() -> new Refused("unknown personal access token")))
                .flatMap(token -> {
                    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
                    if (token.revokedAt() != null) {
                        return Mono.error(new Refused("personal access token revoked"));
                    }
                    if (token.expiresAt() != null && !now.isBefore(token.expiresAt())) {
                        return Mono.error(new Refused("personal access token expired"));
                    }
                    return touch(token, now).thenReturn(token.caller());
                });
    }

    private Mono<Void> touch(PersonalAccessToken token, Instant now) {
        if (!due(token.lastUsedAt(), now) || !claim(token.id(), now)) {
            return Mono.empty();
        }
        return tokens.touch(token.id(), now, properties.lastUsedEvery()).onErrorResume(e -> {
            // Bookkeeping only: the request goes on.
            log.warn("could not record the use of personal access token {}: {}", token.id(), e.toString());
            return Mono.empty();
        });
    }

    private boolean due(Instant lastUsed, Instant now) {
        return lastUsed == null || !now.isBefore(lastUsed.plus(properties.lastUsedEvery()));
    }

    /** True for the one request on this gateway that gets to write the token's use now. */
    private boolean claim(UUID id, Instant now) {
        boolean[] won = new boolean[1];
        touched.compute(id, (key, last) -> {
            won[0] = due(last, now);
            return won[0] ? now : last;
        });
        return won[0];
    }

    /** A personal access token that is not accepted; the message is safe to return. */
    static final class Refused extends AuthenticationException {
        Refused(String message) {
            super(message);
        }
    }
}

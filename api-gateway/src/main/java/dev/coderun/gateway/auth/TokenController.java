package dev.coderun.gateway.auth;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.Envelopes;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.limits.RequestLimits;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code /v2/tokens} (scope {@code admin}, {@link RouteAccess}): mint, list and revoke personal access tokens. A caller
 * sees and revokes only tokens all of whose handles it holds, and mints only for its own handles and scopes
 * ({@link TokenRequest#check}); another handle's token reads as not found. The secret is in the answer to the mint
 * and nowhere else.
 */
@RestController
class TokenController {

    private final PostgresPersonalAccessTokens tokens;
    private final RequestLimits limits;
    private final SecureRandom random = new SecureRandom();
    private final Clock clock = Clock.systemUTC();

    TokenController(PostgresPersonalAccessTokens tokens, RequestLimits limits) {
        this.tokens = tokens;
        this.limits = limits;
    }

    /** A minted token: its record and, this once, its secret ({@code token}). */
    record MintedToken(@JsonUnwrapped PersonalAccessToken details, String token) {}

    @PostMapping("/v2/tokens")
    Mono<ResponseEntity<Envelopes.Data<MintedToken>>> mint(
            @RequestBody TokenRequest request, ServerWebExchange exchange) {
        Caller caller = Caller.of(exchange);
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        TokenRequest.Granted granted = request.check(caller, now, limits);
        PatSecret secret = PatSecret.mint(random);
        Instant expiresAt = request.expiresAt() == null ? null : request.expiresAt().truncatedTo(ChronoUnit.MICROS);
        PersonalAccessToken token = new PersonalAccessToken(UUID.randomUUID(), request.name(), secret.displayPrefix(),
                caller.subject(), granted.handles(), granted.scopes(), now, expiresAt, null, null);
        return tokens.insert(token, secret.sha256()).map(saved -> ResponseEntity.status(HttpStatus.CREATED)
                .body(Envelopes.data(new MintedToken(saved, secret.value()))));
    }

    /** Newest first, keyset pages; prefixes only, never a secret. */
    @GetMapping("/v2/tokens")
    Mono<Envelopes.Page<PersonalAccessToken>> list(
            @RequestParam(name = "limit", defaultValue = "100") int limit,
            @RequestParam(name = "cursor", required = false) String cursor,
            ServerWebExchange exchange) {
        if (limit < 1 || limit > limits.maxPageSize()) {
            throw ApiException.validation(
                    FieldViolation.outOfRange("limit", "must be between 1 and " + limits.maxPageSize()));
        }
        TokenCursor after = cursor == null ? null : TokenCursor.decode(cursor).orElseThrow(() ->
                ApiException.validation(FieldViolation.invalid("cursor", "not a cursor this API issued")));
        return tokens.list(Caller.of(exchange).handles(), after, limit + 1).collectList().map(page -> {
            boolean more = page.size() > limit;
            List<PersonalAccessToken> shown = more ? page.subList(0, limit) : page;
            PersonalAccessToken last = more ? shown.getLast() : null;
            return new Envelopes.Page<>(shown, last == null ? null : new TokenCursor(last.createdAt(), last.id())
                    .encode());
        });
    }

    /** Revokes the token: refused from its next request on, on every gateway. Revoking it again changes nothing. */
    @DeleteMapping("/v2/tokens/{tokenId}")
    Mono<Envelopes.Data<PersonalAccessToken>> revoke(@PathVariable String tokenId, ServerWebExchange exchange) {
        UUID id = parseTokenId(tokenId);
        return tokens.revoke(id, Caller.of(exchange).handles(), clock.instant().truncatedTo(ChronoUnit.MICROS))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("token " + tokenId + " not found")))
                .map(Envelopes::data);
    }

    private static UUID parseTokenId(String tokenId) {
        try {
            UUID id = UUID.fromString(tokenId);
            if (tokenId.length() == 36) {
                return id;
            }
        } catch (IllegalArgumentException e) {
            // not an id: no such token
        }
        throw ApiException.notFound("token " + tokenId + " not found");
    }
}

package dev.coderun.gateway.auth;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A personal access token as stored and as listed: everything but its secret, of which only the display prefix is
 * kept in clear (the secret's SHA-256 is stored beside it, never read back).
 *
 * @param prefix the first characters of the secret ({@code crp_} and 8 more), to tell one token from another
 * @param createdBy the subject of the token that minted it; requests made with this token act as that subject
 * @param handles sorted; the token may act on these only
 * @param scopes sorted scope claims
 * @param expiresAt null: the token does not expire
 * @param lastUsedAt when it last authenticated a request, written at most once per {@code coderun.auth.last-used-every}
 * @param revokedAt null while the token is usable
 */
public record PersonalAccessToken(
        UUID id,
        String name,
        String prefix,
        String createdBy,
        List<String> handles,
        List<String> scopes,
        Instant createdAt,
        Instant expiresAt,
        Instant lastUsedAt,
        Instant revokedAt) {

    public PersonalAccessToken {
        handles = handles.stream().sorted().toList();
        scopes = scopes.stream().sorted().toList();
    }

    /** Who calls with this token. */
    Caller caller() {
        Set<Scope> granted = scopes.stream()
                .flatMap(claim -> Scope.fromClaim(claim).stream())
                .collect(Collectors.toSet());
        return new Caller(createdBy, "pat:" + id, Set.copyOf(handles), granted);
    }
}

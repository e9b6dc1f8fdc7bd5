package dev.coderun.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.Jwt;

/** How a verified JWT's claims name the caller. */
class CallerAuthenticationTest {

    @Test
    void theClaimsNameSubjectHandlesScopesAndTheTokenId() {
        Caller caller = CallerAuthentication.callerOf(jwt(Map.of("sub", "user:alice", "jti", "t-42",
                "handles", List.of("alice", "team-a"), "scope", "runs:read runs:write")));

        assertThat(caller).isEqualTo(new Caller("user:alice", "jwt:t-42", Set.of("alice", "team-a"),
                Set.of(Scope.RUNS_READ, Scope.RUNS_WRITE)));
    }

    @Test
    void withoutAJtiTheTokenIsNamedByItsSubject() {
        assertThat(CallerAuthentication.callerOf(jwt(Map.of("sub", "user:alice"))).tokenId()).isEqualTo("jwt:user:alice");
        assertThat(CallerAuthentication.callerOf(jwt(Map.of("sub", "user:alice", "jti", " "))).tokenId())
                .isEqualTo("jwt:user:alice");
    }

    @Test
    void unknownScopesAndExtraSpacesAreIgnored() {
        Caller caller = CallerAuthentication.callerOf(jwt(Map.of("sub", "s",
                "scope", "  runtimes:read bogus:scope  admin ")));

        assertThat(caller.scopes()).containsExactlyInAnyOrder(Scope.RUNTIMES_READ, Scope.ADMIN);
    }

    @Test
    void aTokenWithoutHandlesOrScopesReachesNothingButIsAuthentic() {
        Caller caller = CallerAuthentication.callerOf(jwt(Map.of("sub", "s")));

        assertThat(caller.handles()).isEmpty();
        assertThat(caller.scopes()).isEmpty();
    }

    @Test
    void handlesMustBeAnArrayOfStringsAndScopeAString() {
        Caller caller = CallerAuthentication.callerOf(jwt(Map.of("sub", "s", "handles", "alice",
                "scope", List.of("admin"))));
        Caller mixed = CallerAuthentication.callerOf(jwt(Map.of("sub", "s", "handles", List.of("alice", 7, true))));

        assertThat(caller.handles()).isEmpty();
        assertThat(caller.scopes()).isEmpty();
        assertThat(mixed.handles()).containsExactly("alice");
    }

    @Test
    void anAuthenticationKeepsNoCredential() {
        var authentication = new CallerAuthentication(CallerAuthentication.callerOf(jwt(Map.of("sub", "user:alice"))));

        assertThat(authentication.getCredentials()).isNull();
        assertThat(authentication.isAuthenticated()).isTrue();
        assertThat(authentication.getName()).isEqualTo("user:alice");
    }

    private static Jwt jwt(Map<String, Object> claims) {
        return Jwt.withTokenValue("the-token").header("alg", "HS256").claims(c -> c.putAll(claims)).build();
    }
}

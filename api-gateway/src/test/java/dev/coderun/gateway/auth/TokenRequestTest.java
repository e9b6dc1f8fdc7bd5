package dev.coderun.gateway.auth;

import static dev.coderun.gateway.GatewayFixtures.NOW;
import static dev.coderun.gateway.GatewayFixtures.defaultLimits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.FieldViolation;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

/** What a token may mint: nothing malformed, and nothing beyond its own handles and scopes. */
class TokenRequestTest {

    private final Caller admin = new Caller("user:alice", "jwt:a", Set.of("alice", "team-a"), Set.of(Scope.ADMIN));

    @Test
    void anAdminMintsForItsOwnHandlesWithAnyScope() {
        TokenRequest.Granted granted = new TokenRequest("ci", List.of("alice", "alice"),
                List.of("runs:read", "admin", "runs:read"), NOW.plusSeconds(60)).check(admin, NOW, defaultLimits());

        assertThat(granted.handles()).containsExactly("alice");
        assertThat(granted.scopes()).containsExactly("runs:read", "admin");
    }

    @Test
    void everyMalformedFieldIsNamedAtOnce() {
        TokenRequest request = new TokenRequest(" ", List.of(), List.of("runs:read", "root"), NOW);

        assertThatThrownBy(() -> request.check(admin, NOW, defaultLimits()))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT);
                    assertThat(e.details()).extracting(FieldViolation::field)
                            .containsExactly("name", "handles", "scopes[1]", "expires_at");
                });
    }

    @Test
    void missingFieldsAreRequired() {
        assertThatThrownBy(() -> new TokenRequest(null, null, null, null).check(admin, NOW, defaultLimits()))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.details())
                        .extracting(FieldViolation::type).containsExactly("required", "required", "required"));
    }

    @Test
    void aHandleTheTokenDoesNotHoldIsForbidden() {
        assertThatThrownBy(() -> new TokenRequest("ci", List.of("alice", "bob"), List.of("runs:read"), null)
                .check(admin, NOW, defaultLimits()))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo("forbidden");
                    assertThat(e.getMessage()).contains("'bob'");
                });
    }

    @Test
    void aScopeTheTokenDoesNotHaveIsForbidden() {
        Caller writer = new Caller("user:alice", "pat:x", Set.of("alice"), Set.of(Scope.RUNS_READ, Scope.RUNS_WRITE));

        assertThat(new TokenRequest("ci", List.of("alice"), List.of("runs:read"), null)
                .check(writer, NOW, defaultLimits()).scopes()).containsExactly("runs:read");
        assertThatThrownBy(() -> new TokenRequest("ci", List.of("alice"), List.of("runs:read", "admin"), null)
                .check(writer, NOW, defaultLimits()))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo("forbidden");
                    assertThat(e.getMessage()).contains("admin");
                });
    }

    @Test
    void aNameOverTheLimitIsTooLong() {
        String name = "n".repeat(defaultLimits().maxDisplayNameChars() + 1);

        assertThatThrownBy(() -> new TokenRequest(name, List.of("alice"), List.of("admin"), null)
                .check(admin, NOW, defaultLimits()))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.details())
                        .extracting(FieldViolation::type).containsExactly("too_long"));
    }

    @Test
    void theListingCursorRoundTripsAndRefusesAnythingElse() {
        TokenCursor cursor = new TokenCursor(NOW, java.util.UUID.randomUUID());

        assertThat(TokenCursor.decode(cursor.encode())).contains(cursor);
        assertThat(TokenCursor.decode("garbage")).isEmpty();
        assertThat(TokenCursor.decode("")).isEmpty();
    }
}

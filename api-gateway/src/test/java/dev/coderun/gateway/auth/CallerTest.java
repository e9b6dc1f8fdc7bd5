package dev.coderun.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.gateway.api.ApiException;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.http.HttpStatus;

class CallerTest {

    private final Caller reader = new Caller("user:alice", "jwt:user:alice", Set.of("alice"), Set.of(Scope.RUNS_READ));

    @Test
    void aCallerWithTheHandleAndScopeIsLetThrough() {
        assertThat(reader.require("alice", Scope.RUNS_READ)).isSameAs(reader);
    }

    @Test
    void anotherHandleReadsAsNotFoundEvenWithAdmin() {
        Caller admin = new Caller("user:alice", "jwt:user:alice", Set.of("alice"), Set.of(Scope.ADMIN));

        assertThatThrownBy(() -> admin.require("bob", Scope.RUNS_READ))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.NOT_FOUND);
                    assertThat(e.code()).isEqualTo("not_found");
                });
    }

    @Test
    void aMissingScopeOnOwnHandleIsForbidden() {
        assertThatThrownBy(() -> reader.require("alice", Scope.RUNS_WRITE))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.FORBIDDEN);
                    assertThat(e.code()).isEqualTo("forbidden");
                    assertThat(e.getMessage()).contains("runs:write");
                });
    }

    @ParameterizedTest
    @EnumSource(Scope.class)
    void adminImpliesEveryScope(Scope scope) {
        Caller admin = new Caller("user:root", "jwt:user:root", Set.of("alice"), Set.of(Scope.ADMIN));

        assertThat(admin.require("alice", scope)).isSameAs(admin);
    }

    @Test
    void theHandleCheckComesBeforeTheScopeCheckSoNothingLeaksAboutOtherHandles() {
        Caller noScopes = new Caller("user:alice", "jwt:user:alice", Set.of("alice"), Set.of());

        assertThatThrownBy(() -> noScopes.require("bob", Scope.RUNS_WRITE))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo("not_found"));
    }
}

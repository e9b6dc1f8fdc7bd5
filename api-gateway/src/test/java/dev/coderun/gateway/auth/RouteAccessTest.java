package dev.coderun.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.gateway.auth.RouteAccess.Verdict;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.http.server.PathContainer;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/** The decisions of the route table, and the table's own order (the first matching row decides). */
class RouteAccessTest {

    private final Caller reader = new Caller("user:alice", "jwt:a", Set.of("alice"), Set.of(Scope.RUNS_READ));

    @Test
    void aCallerWithTheHandleAndScopeIsLetThrough() {
        assertThat(RouteAccess.decide(reader, "alice", Scope.RUNS_READ)).isEqualTo(Verdict.GRANTED);
    }

    @Test
    void anotherHandleReadsAsNotFoundEvenWithAdmin() {
        Caller admin = new Caller("user:alice", "jwt:a", Set.of("alice"), Set.of(Scope.ADMIN));

        assertThat(RouteAccess.decide(admin, "bob", Scope.RUNS_READ)).isEqualTo(Verdict.NOT_FOUND);
    }

    @Test
    void aMissingScopeOnOwnHandleIsForbidden() {
        assertThat(RouteAccess.decide(reader, "alice", Scope.RUNS_WRITE)).isEqualTo(Verdict.FORBIDDEN);
    }

    @Test
    void theHandleCheckComesBeforeTheScopeCheckSoNothingLeaksAboutOtherHandles() {
        Caller noScopes = new Caller("user:alice", "jwt:a", Set.of("alice"), Set.of());

        assertThat(RouteAccess.decide(noScopes, "bob", Scope.RUNS_WRITE)).isEqualTo(Verdict.NOT_FOUND);
    }

    @ParameterizedTest
    @EnumSource(Scope.class)
    void adminImpliesEveryScope(Scope scope) {
        Caller admin = new Caller("user:root", "jwt:r", Set.of("alice"), Set.of(Scope.ADMIN));

        assertThat(RouteAccess.decide(admin, "alice", scope)).isEqualTo(Verdict.GRANTED);
        assertThat(RouteAccess.decide(admin, null, scope)).isEqualTo(Verdict.GRANTED);
    }

    @Test
    void aRouteWithoutAHandleChecksTheScopeOnly() {
        assertThat(RouteAccess.decide(reader, null, Scope.RUNS_READ)).isEqualTo(Verdict.GRANTED);
        assertThat(RouteAccess.decide(reader, null, Scope.RUNS_WRITE)).isEqualTo(Verdict.FORBIDDEN);
        assertThat(RouteAccess.decide(reader, null, null)).isEqualTo(Verdict.GRANTED);
    }

    @Test
    void everyRowIsTheFirstToMatchItsOwnRoutesSoNoEarlierRowShadowsIt() {
        PathPatternParser parser = PathPatternParser.defaultInstance;
        for (RouteAccess.Rule rule : RouteAccess.RULES) {
            // The route's own shape, each variable filled with a value no literal segment has.
            PathContainer path = PathContainer.parsePath(rule.pattern().replaceAll("\\{[^}]+}", "x-1"));
            RouteAccess.Rule first = RouteAccess.RULES.stream()
                    .filter(r -> r.method().equals(rule.method()))
                    .filter(r -> parser.parse(r.pattern()).matches(path))
                    .findFirst()
                    .orElseThrow();
            assertThat(first).as("first row matching %s %s", rule.method(), rule.pattern()).isEqualTo(rule);
        }
    }

    @Test
    void aHandleRouteNamesTheHandleItsPathCarries() {
        for (RouteAccess.Rule rule : RouteAccess.RULES) {
            PathPattern pattern = PathPatternParser.defaultInstance.parse(rule.pattern());
            boolean namesHandle = rule.pattern().startsWith("/v2/handles/{handle}/");
            assertThat(rule.handleVariable()).as(rule.pattern()).isEqualTo(namesHandle ? "handle" : null);
            assertThat(pattern.getPatternString()).isEqualTo(rule.pattern());
        }
    }
}

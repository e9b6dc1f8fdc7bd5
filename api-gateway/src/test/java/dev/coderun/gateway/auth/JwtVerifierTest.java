package dev.coderun.gateway.auth;

import static dev.coderun.gateway.GatewayFixtures.FIXED_CLOCK;
import static dev.coderun.gateway.GatewayFixtures.NOW;
import static dev.coderun.gateway.auth.TestTokens.hs256;
import static dev.coderun.gateway.auth.TestTokens.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class JwtVerifierTest {

    private static final long NOW_S = NOW.getEpochSecond();
    private static final Duration SKEW = Duration.ofSeconds(30);

    private static final Map<String, Object> VALID = Map.of(
            "sub", "user:alice",
            "iss", "coderun",
            "aud", "coderun-api",
            "exp", NOW_S + 600,
            "iat", NOW_S - 10,
            "handles", List.of("alice", "team-a"),
            "scope", "runs:read runs:write");

    private final JwtVerifier verifier = new JwtVerifier(
            new AuthProperties(TestTokens.SECRET, "coderun", "coderun-api", SKEW), FIXED_CLOCK);

    @Test
    void aValidTokenNamesItsSubjectHandlesAndScopes() {
        Caller caller = verifier.verify(hs256(VALID));

        assertThat(caller.subject()).isEqualTo("user:alice");
        assertThat(caller.handles()).containsExactlyInAnyOrder("alice", "team-a");
        assertThat(caller.scopes()).containsExactlyInAnyOrder(Scope.RUNS_READ, Scope.RUNS_WRITE);
    }

    @Test
    void theTokenIdIsTheJtiWhenThereIsOneElseTheSubject() {
        assertThat(verifier.verify(hs256(with(VALID, "jti", "t-42"))).tokenId()).isEqualTo("jwt:t-42");
        assertThat(verifier.verify(hs256(VALID)).tokenId()).isEqualTo("jwt:user:alice");
    }

    @Test
    void unknownScopesAndExtraSpacesAreIgnored() {
        Caller caller = verifier.verify(hs256(with(VALID, "scope", "  runtimes:read bogus:scope  admin ")));

        assertThat(caller.scopes()).containsExactlyInAnyOrder(Scope.RUNTIMES_READ, Scope.ADMIN);
    }

    @Test
    void aTokenWithoutHandlesOrScopesReachesNothingButIsAuthentic() {
        Caller caller = verifier.verify(hs256(with(VALID, "handles", null, "scope", null)));

        assertThat(caller.handles()).isEmpty();
        assertThat(caller.scopes()).isEmpty();
    }

    @Test
    void anAudienceArrayIsAcceptedWhenItContainsOurAudience() {
        Caller caller = verifier.verify(hs256(with(VALID, "aud", List.of("someone-else", "coderun-api"))));

        assertThat(caller.subject()).isEqualTo("user:alice");
    }

    @Test
    void anUnsecuredTokenIsRefusedEvenWithPerfectClaims() {
        assertRefused(TestTokens.unsigned(VALID), "unsupported token algorithm");
    }

    @Test
    void anUnsecuredHeaderCannotBorrowAValidSignature() {
        String valid = hs256(VALID);
        String noneHeader = TestTokens.part(Map.of("alg", "none"));
        String forged = noneHeader + valid.substring(valid.indexOf('.'));

        assertRefused(forged, "unsupported token algorithm");
    }

    @ParameterizedTest(name = "alg {0}")
    @ValueSource(strings = {"HS384", "HS512", "RS256", "ES256", "hs256", "NONE", ""})
    void anyAlgorithmButHs256IsRefused(String alg) {
        String token = TestTokens.signed(Map.of("alg", alg, "typ", "JWT"), VALID, TestTokens.SECRET);

        assertRefused(token, "unsupported token algorithm");
    }

    @Test
    void aTokenSignedWithAnotherKeyIsRefused() {
        String token = TestTokens.signed(Map.of("alg", "HS256"), VALID, TestTokens.OTHER_SECRET);

        assertRefused(token, "bad token signature");
    }

    @Test
    void changedClaimsBreakTheSignature() {
        String valid = hs256(VALID);
        String[] parts = valid.split("\\.");
        String elevated = TestTokens.part(with(VALID, "scope", "admin"));

        assertRefused(parts[0] + "." + elevated + "." + parts[2], "bad token signature");
    }

    @Test
    void aTruncatedSignatureIsRefused() {
        String valid = hs256(VALID);

        assertRefused(valid.substring(0, valid.length() - 4), "bad token signature");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"", "abc", "a.b", "a.b.c.d", "!!!.e30.sig", "e30.e30.e30"})
    void malformedTokensAreRefused(String token) {
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(JwtVerifier.InvalidTokenException.class);
    }

    static Stream<Arguments> timeClaims() {
        return Stream.of(
                Arguments.of("expired beyond the clock skew", with(VALID, "exp", NOW_S - 31),
                        "token expired or without expiry"),
                Arguments.of("without exp", with(VALID, "exp", null), "token expired or without expiry"),
                Arguments.of("exp as a string", with(VALID, "exp", String.valueOf(NOW_S + 600)),
                        "token expired or without expiry"),
                Arguments.of("nbf beyond the clock skew", with(VALID, "nbf", NOW_S + 31), "token not yet valid"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("timeClaims")
    void tokensOutsideTheirValidityWindowAreRefused(String name, Map<String, Object> claims, String reason) {
        assertRefused(hs256(claims), reason);
    }

    @Test
    void theClockSkewIsToleratedOnBothEnds() {
        assertThat(verifier.verify(hs256(with(VALID, "exp", NOW_S - 29)))).isNotNull();
        assertThat(verifier.verify(hs256(with(VALID, "nbf", NOW_S + 29)))).isNotNull();
    }

    static Stream<Arguments> identityClaims() {
        return Stream.of(
                Arguments.of("wrong iss", with(VALID, "iss", "someone-else"), "wrong token issuer"),
                Arguments.of("missing iss", with(VALID, "iss", null), "wrong token issuer"),
                Arguments.of("wrong aud", with(VALID, "aud", "other-api"), "wrong token audience"),
                Arguments.of("missing aud", with(VALID, "aud", null), "wrong token audience"),
                Arguments.of("aud array without ours", with(VALID, "aud", List.of("a", "b")), "wrong token audience"),
                Arguments.of("empty aud array", with(VALID, "aud", List.of()), "wrong token audience"),
                Arguments.of("missing sub", with(VALID, "sub", null), "token without subject"),
                Arguments.of("blank sub", with(VALID, "sub", "  "), "token without subject"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("identityClaims")
    void tokensForAnotherIssuerAudienceOrWithoutSubjectAreRefused(
            String name, Map<String, Object> claims, String reason) {
        assertRefused(hs256(claims), reason);
    }

    private void assertRefused(String token, String reason) {
        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(JwtVerifier.InvalidTokenException.class)
                .hasMessage(reason);
    }
}

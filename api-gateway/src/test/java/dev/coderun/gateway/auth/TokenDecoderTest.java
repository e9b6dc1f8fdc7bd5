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
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * The HS256 configuration of the gateway's JWT decoder (the local stack's): Nimbus checks the signature and the
 * algorithm, {@link ClaimsValidator} the claims, and every refusal says why in words of ours. The RS256/JWKS
 * configuration is {@link JwksTokenDecoderTest}'s.
 */
class TokenDecoderTest {

    private static final long NOW_S = NOW.getEpochSecond();
    private static final Duration SKEW = Duration.ofSeconds(30);

    static final Map<String, Object> VALID = Map.of(
            "sub", "user:alice",
            "iss", "coderun",
            "aud", "coderun-api",
            "exp", NOW_S + 600,
            "iat", NOW_S - 10,
            "handles", List.of("alice", "team-a"),
            "scope", "runs:read runs:write");

    private final TokenDecoder decoder = TokenDecoder.of(
            new AuthProperties(TestTokens.SECRET, null, "coderun", "coderun-api", SKEW, Duration.ofMinutes(1)),
            FIXED_CLOCK);

    @Test
    void aValidTokenNamesItsSubjectHandlesAndScopes() {
        Caller caller = caller(hs256(VALID));

        assertThat(caller.subject()).isEqualTo("user:alice");
        assertThat(caller.handles()).containsExactlyInAnyOrder("alice", "team-a");
        assertThat(caller.scopes()).containsExactlyInAnyOrder(Scope.RUNS_READ, Scope.RUNS_WRITE);
    }

    @Test
    void anAudienceArrayIsAcceptedWhenItContainsOurAudience() {
        assertThat(caller(hs256(with(VALID, "aud", List.of("someone-else", "coderun-api")))).subject())
                .isEqualTo("user:alice");
    }

    @Test
    void aTypHeaderIsNotRequired() {
        assertThat(caller(TestTokens.signed(Map.of("alg", "HS256"), VALID, TestTokens.SECRET)).subject())
                .isEqualTo("user:alice");
    }

    @Test
    void anUnsecuredTokenIsRefusedEvenWithPerfectClaims() {
        assertRefused(TestTokens.unsigned(VALID), "unsupported token algorithm");
    }

    @Test
    void anUnsecuredHeaderCannotBorrowAValidSignature() {
        String valid = hs256(VALID);
        String noneHeader = TestTokens.part(Map.of("alg", "none"));

        assertRefused(noneHeader + valid.substring(valid.indexOf('.')), "unsupported token algorithm");
    }

    @ParameterizedTest(name = "alg {0}")
    @ValueSource(strings = {"HS384", "HS512", "RS256", "ES256", "hs256", "NONE"})
    void anyAlgorithmButHs256IsRefused(String alg) {
        assertRefused(TestTokens.signed(Map.of("alg", alg, "typ", "JWT"), VALID, TestTokens.SECRET),
                "unsupported token algorithm");
    }

    @Test
    void aTokenSignedWithAnotherKeyIsRefused() {
        assertRefused(TestTokens.signed(Map.of("alg", "HS256"), VALID, TestTokens.OTHER_SECRET), "bad token signature");
    }

    @Test
    void changedClaimsBreakTheSignature() {
        String[] parts = hs256(VALID).split("\\.");
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
    void malformedTokensAreRefusedAsMalformedOrWithoutAnAlgorithm(String token) {
        assertThatThrownBy(() -> decoder.decode(token).block())
                .isInstanceOf(TokenDecoder.Refused.class)
                .hasMessageMatching("malformed token|unsupported token algorithm")
                .hasNoCause();
    }

    static Stream<Arguments> timeClaims() {
        return Stream.of(
                Arguments.of("expired beyond the clock skew", with(VALID, "exp", NOW_S - 31, "iat", NOW_S - 600),
                        "token expired or without expiry"),
                Arguments.of("without exp", with(VALID, "exp", null), "token expired or without expiry"),
                Arguments.of("nbf beyond the clock skew", with(VALID, "nbf", NOW_S + 31), "token not yet valid"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("timeClaims")
    void tokensOutsideTheirValidityWindowAreRefused(String name, Map<String, Object> claims, String reason) {
        assertRefused(hs256(claims), reason);
    }

    @Test
    void anExpiryBeforeTheIssueTimeIsMalformed() {
        assertRefused(hs256(with(VALID, "exp", NOW_S - 20, "iat", NOW_S - 10)), "malformed token");
    }

    @Test
    void anExpiryThatIsNoNumericDateIsRefused() {
        assertThatThrownBy(() -> decoder.decode(hs256(with(VALID, "exp", "tomorrow"))).block())
                .isInstanceOf(TokenDecoder.Refused.class);
    }

    @Test
    void theClockSkewIsToleratedOnBothEnds() {
        assertThat(caller(hs256(with(VALID, "exp", NOW_S - 29, "iat", NOW_S - 600)))).isNotNull();
        assertThat(caller(hs256(with(VALID, "nbf", NOW_S + 29)))).isNotNull();
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

    @Test
    void aRefusalNeverQuotesTheToken() {
        String forged = TestTokens.signed(Map.of("alg", "HS256"), with(VALID, "sub", "secret-subject-xyz"),
                TestTokens.OTHER_SECRET);

        assertThatThrownBy(() -> decoder.decode(forged).block())
                .hasNoCause()
                .message().doesNotContain("secret-subject-xyz").doesNotContain(forged.substring(0, 20));
    }

    private Caller caller(String token) {
        Jwt jwt = decoder.decode(token).block();
        return CallerAuthentication.callerOf(jwt);
    }

    private void assertRefused(String token, String reason) {
        assertThatThrownBy(() -> decoder.decode(token).block())
                .isInstanceOf(TokenDecoder.Refused.class)
                .hasMessage(reason)
                .hasNoCause();
    }
}

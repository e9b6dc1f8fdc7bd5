package dev.coderun.gateway.auth;

import static dev.coderun.gateway.GatewayFixtures.FIXED_CLOCK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.coderun.gateway.api.ApiException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

/**
 * The RS256 configuration ({@code coderun.auth.jwks-uri}): keys come from a JWKS document, served here by an in-test
 * HTTP server; a token signed with a key the fetched document does not hold makes the decoder fetch it again, so a
 * rotated-in key is accepted on its first use.
 */
class JwksTokenDecoderTest {

    private static final Date NOW = Date.from(FIXED_CLOCK.instant());
    private static final Date LATER = Date.from(FIXED_CLOCK.instant().plusSeconds(600));

    private final AtomicReference<JWKSet> published = new AtomicReference<>();
    private final AtomicInteger fetches = new AtomicInteger();
    private HttpServer server;
    private TokenDecoder decoder;

    @BeforeEach
    void serveAJwksDocument() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/jwks.json", exchange -> {
            fetches.incrementAndGet();
            byte[] body = published.get().toString(true).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        decoder = TokenDecoder.of(new AuthProperties(null, URI.create("http://127.0.0.1:" + server.getAddress().getPort()
                + "/jwks.json"), "coderun", "coderun-api", Duration.ofSeconds(30), Duration.ofMinutes(1)), FIXED_CLOCK);
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void aTokenSignedWithThePublishedKeyIsAcceptedAndARotatedInKeyOnItsFirstUse() throws Exception {
        RSAKey a = new RSAKeyGenerator(2048).keyID("A").generate();
        RSAKey b = new RSAKeyGenerator(2048).keyID("B").generate();
        published.set(new JWKSet(a.toPublicJWK()));

        Caller first = CallerAuthentication.callerOf(decoder.decode(rs256(a, "user:alice")).block());
        assertThat(first.subject()).isEqualTo("user:alice");
        assertThat(first.handles()).containsExactly("alice");
        int fetchesAfterA = fetches.get();
        decoder.decode(rs256(a, "user:alice")).block();
        assertThat(fetches.get()).as("a known kid is served from the fetched document").isEqualTo(fetchesAfterA);

        // Rotation: the issuer publishes B (and then withdraws A).
        published.set(new JWKSet(List.of(b.toPublicJWK())));

        assertThat(CallerAuthentication.callerOf(decoder.decode(rs256(b, "user:bob")).block()).subject())
                .isEqualTo("user:bob");
        assertThat(fetches.get()).as("an unknown kid fetched the document again").isEqualTo(fetchesAfterA + 1);
    }

    @Test
    void aTokenSignedWithAKeyNoDocumentHoldsIsRefused() throws Exception {
        RSAKey published = new RSAKeyGenerator(2048).keyID("A").generate();
        RSAKey stranger = new RSAKeyGenerator(2048).keyID("Z").generate();
        this.published.set(new JWKSet(published.toPublicJWK()));

        assertThatThrownBy(() -> decoder.decode(rs256(stranger, "user:mallory")).block())
                .isInstanceOf(TokenDecoder.Refused.class).hasMessage("unknown token signing key");
    }

    @Test
    void aForgedSignatureUnderAPublishedKidIsRefused() throws Exception {
        RSAKey published = new RSAKeyGenerator(2048).keyID("A").generate();
        RSAKey forger = new RSAKeyGenerator(2048).keyID("A").generate();
        this.published.set(new JWKSet(published.toPublicJWK()));

        assertThatThrownBy(() -> decoder.decode(rs256(forger, "user:mallory")).block())
                .isInstanceOf(TokenDecoder.Refused.class).hasMessage("bad token signature");
    }

    @Test
    void anHs256TokenIsRefusedWhenKeysComeFromAJwksDocument() throws Exception {
        published.set(new JWKSet(new RSAKeyGenerator(2048).keyID("A").generate().toPublicJWK()));
        SignedJWT hs = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims("user:alice"));
        hs.sign(new MACSigner(TestTokens.SECRET.getBytes(StandardCharsets.UTF_8)));

        assertThatThrownBy(() -> decoder.decode(hs.serialize()).block())
                .isInstanceOf(TokenDecoder.Refused.class).hasMessage("unsupported token algorithm");
    }

    @Test
    void anUnreachableJwksDocumentIsAnUpstreamFailureNotTheTokensFault() throws Exception {
        RSAKey a = new RSAKeyGenerator(2048).keyID("A").generate();
        server.stop(0);

        assertThatThrownBy(() -> decoder.decode(rs256(a, "user:alice")).block())
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
                    assertThat(e.code()).isEqualTo("upstream_unavailable");
                });
    }

    private static String rs256(RSAKey key, String subject) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                claims(subject));
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    private static JWTClaimsSet claims(String subject) {
        return new JWTClaimsSet.Builder()
                .subject(subject)
                .issuer("coderun")
                .audience("coderun-api")
                .issueTime(NOW)
                .expirationTime(LATER)
                .claim("handles", List.of(subject.substring(subject.indexOf(':') + 1)))
                .claim("scope", "runs:read")
                .build();
    }
}

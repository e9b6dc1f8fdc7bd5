package dev.coderun.gateway.auth;

import com.nimbusds.jose.Algorithm;
import com.nimbusds.jose.Header;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.util.Base64URL;
import dev.coderun.gateway.api.ApiException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import reactor.core.publisher.Mono;

/**
 * The gateway's JWT decoder: Spring Security's {@link NimbusReactiveJwtDecoder} does the parsing and the signature
 * check (HS256 with the shared secret, or RS256 with the keys of {@code coderun.auth.jwks-uri}; any other
 * {@code alg}, {@code none} included, is refused), {@link ClaimsValidator} the claims. This class only puts every
 * refusal into words safe to show the client: a {@link BadJwtException} whose message is one of ours and which
 * carries no cause (Nimbus' messages can quote parts of the token, and Spring Security logs the exception at debug
 * level). A JWKS document that cannot be fetched is {@code upstream_unavailable}, not the token's fault.
 */
final class TokenDecoder implements ReactiveJwtDecoder {

    private final NimbusReactiveJwtDecoder nimbus;
    private final JWSAlgorithm algorithm;
    private final boolean remoteKeys;

    private TokenDecoder(NimbusReactiveJwtDecoder nimbus, JWSAlgorithm algorithm, boolean remoteKeys) {
        this.nimbus = nimbus;
        this.algorithm = algorithm;
        this.remoteKeys = remoteKeys;
    }

    static TokenDecoder of(AuthProperties properties, Clock clock) {
        NimbusReactiveJwtDecoder nimbus;
        JWSAlgorithm algorithm;
        if (properties.jwksUri() != null) {
            nimbus = NimbusReactiveJwtDecoder.withJwkSetUri(properties.jwksUri().toString())
                    .jwsAlgorithm(SignatureAlgorithm.RS256)
                    .build();
            algorithm = JWSAlgorithm.RS256;
        } else {
            var key = new SecretKeySpec(properties.jwtSecret().getBytes(StandardCharsets.UTF_8), "HmacSHA256");
            nimbus = NimbusReactiveJwtDecoder.withSecretKey(key).macAlgorithm(MacAlgorithm.HS256).build();
            algorithm = JWSAlgorithm.HS256;
        }
        nimbus.setJwtValidator(new ClaimsValidator(properties, clock));
        return new TokenDecoder(nimbus, algorithm, properties.jwksUri() != null);
    }

    @Override
    public Mono<Jwt> decode(String token) {
        return Mono.defer(() -> nimbus.decode(token)).onErrorMap(e -> !(e instanceof ApiException), e -> refusal(token, e));
    }

    private RuntimeException refusal(String token, Throwable failure) {
        if (failure instanceof JwtValidationException invalid) {
            // ClaimsValidator's own words.
            return new Refused(invalid.getMessage());
        }
        if (remoteKeys && failure instanceof IllegalStateException) {
            // NimbusReactiveJwtDecoder's "Could not obtain the keys": the JWKS document did not arrive.
            return ApiException.upstreamUnavailable("the token's signing keys could not be fetched; try again shortly");
        }
        Algorithm alg = headerAlgorithm(token);
        if (alg == null) {
            return new Refused("malformed token");
        }
        if (!algorithm.equals(alg)) {
            return new Refused("unsupported token algorithm");
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BadJWSException) {
                return new Refused("bad token signature");
            }
            if (t instanceof BadJOSEException) {
                // Signed with a key the JWKS document does not hold (or no longer holds).
                return new Refused("unknown token signing key");
            }
        }
        return new Refused("malformed token");
    }

    /** The {@code alg} of the token's header, or null when there is no readable header. */
    private static Algorithm headerAlgorithm(String token) {
        int dot = token.indexOf('.');
        if (dot <= 0) {
            return null;
        }
        try {
            return Header.parse(new Base64URL(token.substring(0, dot))).getAlgorithm();
        } catch (ParseException e) {
            return null;
        }
    }

    /** A refused token; the message is safe to return, and there is deliberately no cause. */
    static final class Refused extends BadJwtException {
        Refused(String message) {
            super(message);
        }
    }
}

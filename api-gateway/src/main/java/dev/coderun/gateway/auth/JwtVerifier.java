package dev.coderun.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Verifies HS256 JWTs: signature, {@code alg} (anything but HS256, {@code none} included, is refused), {@code exp},
 * {@code nbf}, {@code iss} and {@code aud}. Claims: {@code sub}, {@code handles} (array), {@code scope}
 * (space-separated, OAuth style). Pure apart from the clock.
 */
public final class JwtVerifier {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Base64.Decoder B64 = Base64.getUrlDecoder();

    private final AuthProperties properties;
    private final Clock clock;
    private final SecretKeySpec key;

    public JwtVerifier(AuthProperties properties, Clock clock) {
        this.properties = properties;
        this.clock = clock;
        this.key = new SecretKeySpec(properties.jwtSecret().getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    /** @throws InvalidTokenException with a reason safe to show the client */
    public Caller verify(String token) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            throw new InvalidTokenException("malformed token");
        }
        JsonNode header = decode(parts[0]);
        if (!"HS256".equals(header.path("alg").asString(""))) {
            throw new InvalidTokenException("unsupported token algorithm");
        }
        byte[] expected = sign(parts[0] + "." + parts[1]);
        byte[] given;
        try {
            given = B64.decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("malformed token signature");
        }
        if (!MessageDigest.isEqual(expected, given)) {
            throw new InvalidTokenException("bad token signature");
        }
        JsonNode claims = decode(parts[1]);
        Instant now = clock.instant();
        if (!claims.path("exp").isNumber()
                || Instant.ofEpochSecond(claims.get("exp").asLong()).plus(properties.clockSkew()).isBefore(now)) {
            throw new InvalidTokenException("token expired or without expiry");
        }
        if (claims.path("nbf").isNumber()
                && Instant.ofEpochSecond(claims.get("nbf").asLong()).minus(properties.clockSkew()).isAfter(now)) {
            throw new InvalidTokenException("token not yet valid");
        }
        if (!properties.issuer().equals(claims.path("iss").asString(""))) {
            throw new InvalidTokenException("wrong token issuer");
        }
        if (!hasAudience(claims.path("aud"))) {
            throw new InvalidTokenException("wrong token audience");
        }
        String subject = claims.path("sub").asString("");
        if (subject.isBlank()) {
            throw new InvalidTokenException("token without subject");
        }
        Set<String> handles = new HashSet<>();
        claims.path("handles").forEach(h -> handles.add(h.asString("")));
        Set<Scope> scopes = new HashSet<>();
        for (String claim : claims.path("scope").asString("").split(" ")) {
            Scope.fromClaim(claim).ifPresent(scopes::add);
        }
        String jti = claims.path("jti").asString("");
        return new Caller(subject, "jwt:" + (jti.isBlank() ? subject : jti), handles, scopes);
    }

    private boolean hasAudience(JsonNode aud) {
        if (aud.isArray()) {
            for (JsonNode one : aud) {
                if (properties.audience().equals(one.asString(""))) {
                    return true;
                }
            }
            return false;
        }
        return properties.audience().equals(aud.asString(""));
    }

    private byte[] sign(String signingInput) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static JsonNode decode(String part) {
        try {
            JsonNode node = JSON.readTree(B64.decode(part));
            if (!node.isObject()) {
                throw new InvalidTokenException("malformed token");
            }
            return node;
        } catch (IllegalArgumentException | JacksonException e) {
            throw new InvalidTokenException("malformed token");
        }
    }

    /** A token that is not accepted; the message is safe to return. */
    public static final class InvalidTokenException extends RuntimeException {
        InvalidTokenException(String message) {
            super(message, null, false, false);
        }
    }
}

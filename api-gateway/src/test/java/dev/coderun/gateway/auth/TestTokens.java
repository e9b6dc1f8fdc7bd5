package dev.coderun.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.databind.json.JsonMapper;

/** Mints JWTs the way {@code bin/coderun token} does (HS256, base64url without padding), and ways it must not. */
final class TestTokens {

    static final String SECRET = "test-secret-that-is-at-least-32-characters-long";
    static final String OTHER_SECRET = "another-secret-that-is-at-least-32-characters!";

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private TestTokens() {}

    static String hs256(Map<String, ?> claims) {
        return signed(Map.of("alg", "HS256", "typ", "JWT"), claims, SECRET);
    }

    static String signed(Map<String, ?> header, Map<String, ?> claims, String secret) {
        String input = part(header) + "." + part(claims);
        return input + "." + B64.encodeToString(hmac(input, secret));
    }

    /** An unsecured JWT: {@code alg: none} and an empty signature. */
    static String unsigned(Map<String, ?> claims) {
        return part(Map.of("alg", "none", "typ", "JWT")) + "." + part(claims) + ".";
    }

    static String part(Map<String, ?> json) {
        return B64.encodeToString(JSON.writeValueAsBytes(json));
    }

    static byte[] hmac(String input, String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(input.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code base} with {@code changes} applied; a null value removes the claim. */
    static Map<String, Object> with(Map<String, ?> base, Object... changes) {
        Map<String, Object> claims = new LinkedHashMap<>(base);
        for (int i = 0; i < changes.length; i += 2) {
            if (changes[i + 1] == null) {
                claims.remove((String) changes[i]);
            } else {
                claims.put((String) changes[i], changes[i + 1]);
            }
        }
        return claims;
    }
}

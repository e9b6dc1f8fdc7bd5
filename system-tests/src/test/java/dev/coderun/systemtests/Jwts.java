package dev.coderun.systemtests;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** JWTs with any header and claims, for tests of how the gateway refuses them ({@link Api#token} mints good ones). */
final class Jwts {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private Jwts() {}

    /** The claims {@code bin/coderun token} writes, valid for an hour from now. */
    static Map<String, Object> claims(String subject, List<String> handles, String scope) {
        Map<String, Object> claims = new LinkedHashMap<>();
        long now = Instant.now().getEpochSecond();
        claims.put("iss", "coderun");
        claims.put("aud", "coderun-api");
        claims.put("sub", subject);
        claims.put("handles", handles);
        claims.put("scope", scope);
        claims.put("iat", now);
        claims.put("exp", now + 3600);
        return claims;
    }

    /** {@code claims} with {@code changes} applied (name, value pairs). */
    static Map<String, Object> with(Map<String, Object> claims, Object... changes) {
        Map<String, Object> changed = new LinkedHashMap<>(claims);
        for (int i = 0; i < changes.length; i += 2) {
            changed.put((String) changes[i], changes[i + 1]);
        }
        return changed;
    }

    static String hs256(String secret, Map<String, Object> claims) {
        String input = part(Map.of("alg", "HS256", "typ", "JWT")) + "." + part(claims);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** An unsecured JWT: {@code alg: none} and an empty signature. */
    static String unsecured(Map<String, Object> claims) {
        return part(Map.of("alg", "none", "typ", "JWT")) + "." + part(claims) + ".";
    }

    private static String part(Map<String, ?> json) {
        return B64.encodeToString(Api.JSON.writeValueAsBytes(json));
    }
}

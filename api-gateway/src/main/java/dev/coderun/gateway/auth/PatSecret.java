package dev.coderun.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * The secret of a personal access token: {@code crp_} and 40 base62 characters from a {@link SecureRandom} (about 238
 * random bits). The prefix tells a PAT from a JWT at a glance (and to secret scanners); the secret is shown once, when
 * minted, and only its {@link #sha256() hash} is stored.
 *
 * <p>Why a plain SHA-256 and not a password hash (bcrypt, Argon2): those are slow on purpose so that a stolen hash of a
 * low-entropy password cannot be brute-forced. A 238-bit random secret cannot be brute-forced through any hash, so the
 * slowness would buy nothing and cost every request milliseconds of CPU; and a deterministic hash can be looked up
 * through a unique index, where a salted one could not.
 */
record PatSecret(String value) {

    static final String PREFIX = "crp_";
    /** What a listing shows of a token: the prefix and the first characters of its random part. */
    static final int DISPLAY_CHARS = PREFIX.length() + 8;

    private static final int RANDOM_CHARS = 40;
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final Pattern SHAPE = Pattern.compile(PREFIX + "[0-9A-Za-z]{" + RANDOM_CHARS + "}");

    /** A new secret. */
    static PatSecret mint(SecureRandom random) {
        StringBuilder value = new StringBuilder(PREFIX);
        for (int i = 0; i < RANDOM_CHARS; i++) {
            value.append(BASE62.charAt(random.nextInt(BASE62.length())));
        }
        return new PatSecret(value.toString());
    }

    /** Whether a bearer token is meant as a personal access token (JWTs never start with the prefix). */
    static boolean isPat(String bearer) {
        return bearer.startsWith(PREFIX);
    }

    /** Whether the token has the shape a minted secret has; one that does not cannot be valid. */
    boolean wellFormed() {
        return SHAPE.matcher(value).matches();
    }

    byte[] sha256() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    String displayPrefix() {
        return value.substring(0, DISPLAY_CHARS);
    }

    /** Never the secret itself: a record would print it. */
    @Override
    public String toString() {
        return "PatSecret[" + (wellFormed() ? displayPrefix() + "…" : "malformed") + "]";
    }
}

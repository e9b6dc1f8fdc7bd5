package dev.coderun.events;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals secret env entries (name → value) with AES-256-GCM under a ring of keys, and fingerprints them with a keyed
 * HMAC, so that neither a stored row nor a Kafka record ever holds a value in clear.
 *
 * <p>A sealed value is the text {@code v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>}: it names the key it was
 * sealed under, so a ring that still holds an old key opens what was sealed before a rotation, while new values are
 * sealed under the {@linkplain #currentKeyId() current key}. The {@code context} given to {@link #seal} must be given
 * to {@link #open} again (it is the GCM associated data): a value sealed for one runtime or run does not open as
 * another's. Each key of the ring is only used through two keys derived from it (HMAC-SHA256 with a fixed label), one
 * for sealing and one for fingerprints.
 *
 * <p>No message of this class (nor its {@link #toString()}) contains a key, a secret value or a sealed value.
 * Thread-safe.
 */
public final class SecretKeyRing {

    /** Key ids: short, and free of the separators of the sealed format and of the configuration list. */
    public static final Pattern KEY_ID = Pattern.compile("^[A-Za-z0-9_-]{1,32}$");

    static final String FORMAT = "v1";
    private static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final byte[] SEAL_LABEL = "coderun secrets: seal v1".getBytes(StandardCharsets.UTF_8);
    private static final byte[] FINGERPRINT_LABEL = "coderun secrets: fingerprint v1".getBytes(StandardCharsets.UTF_8);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64_DECODE = Base64.getUrlDecoder();

    private record DerivedKeys(SecretKeySpec seal, SecretKeySpec fingerprint) {}

    private final Map<String, DerivedKeys> keys;
    private final String currentKeyId;

    private SecretKeyRing(Map<String, DerivedKeys> keys, String currentKeyId) {
        this.keys = keys;
        this.currentKeyId = currentKeyId;
    }

    /**
     * The ring from its configuration.
     *
     * @param keys {@code id:base64key[,id:base64key...]}, each key 32 bytes (standard or URL-safe base64)
     * @param currentKeyId the id new values are sealed under; may be blank when there is exactly one key
     * @throws IllegalArgumentException naming what is wrong (never echoing key material)
     */
    public static SecretKeyRing of(String keys, String currentKeyId) {
        if (keys == null || keys.isBlank()) {
            throw new IllegalArgumentException("no secrets key configured: set coderun.secrets.keys"
                    + " (environment CODERUN_SECRETS_KEYS) to <id>:<base64 of 32 random bytes>,"
                    + " e.g. k1:$(openssl rand -base64 32)");
        }
        Map<String, DerivedKeys> ring = new LinkedHashMap<>();
        String[] entries = keys.split(",");
        for (int i = 0; i < entries.length; i++) {
            String entry = entries[i].trim();
            int colon = entry.indexOf(':');
            String id = colon < 0 ? "" : entry.substring(0, colon);
            if (!KEY_ID.matcher(id).matches()) {
                throw new IllegalArgumentException("entry " + (i + 1) + " of coderun.secrets.keys is not"
                        + " <id>:<base64 key> with an id matching " + KEY_ID.pattern());
            }
            byte[] material;
            try {
                material = decodeKey(entry.substring(colon + 1).trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("key '" + id + "' of coderun.secrets.keys is not valid base64");
            }
            if (material.length != KEY_BYTES) {
                throw new IllegalArgumentException("key '" + id + "' of coderun.secrets.keys is " + material.length
                        + " bytes; AES-256 needs " + KEY_BYTES);
            }
            if (ring.putIfAbsent(id, derive(material)) != null) {
                throw new IllegalArgumentException("key id '" + id + "' appears twice in coderun.secrets.keys");
            }
        }
        String current = currentKeyId == null ? "" : currentKeyId.trim();
        if (current.isEmpty()) {
            if (ring.size() != 1) {
                throw new IllegalArgumentException("coderun.secrets.keys holds " + ring.size()
                        + " keys: set coderun.secrets.current-key to the one new secrets are sealed under");
            }
            current = ring.keySet().iterator().next();
        } else if (!ring.containsKey(current)) {
            throw new IllegalArgumentException("coderun.secrets.current-key '" + current
                    + "' is not among the ids of coderun.secrets.keys " + ring.keySet());
        }
        return new SecretKeyRing(Map.copyOf(ring), current);
    }

    /** A fresh random key in the configuration's base64, for tools and tests. */
    public static String newKey() {
        byte[] key = new byte[KEY_BYTES];
        RANDOM.nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    public String currentKeyId() {
        return currentKeyId;
    }

    /** Seals {@code secrets} under the current key for {@code context}; the result names that key. */
    public String seal(Map<String, String> secrets, String context) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        String header = FORMAT + "." + currentKeyId;
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, keys.get(currentKeyId).seal(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associatedData(header, context));
            byte[] sealed = cipher.doFinal(encode(secrets));
            byte[] out = new byte[NONCE_BYTES + sealed.length];
            System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
            System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
            return header + "." + B64.encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JDK", e);
        }
    }

    /**
     * The secrets {@code sealed} holds.
     *
     * @throws SealedSecretsException when it is not a sealed value, was sealed under a key this ring lacks, or does
     *     not open for {@code context} (altered, or sealed for another context)
     */
    public Map<String, String> open(String sealed, String context) {
        Parsed parsed = parse(sealed);
        DerivedKeys key = keys.get(parsed.keyId());
        if (key == null) {
            throw new SealedSecretsException("the secrets were sealed under key '" + parsed.keyId()
                    + "', which is not in this service's key ring " + keys.keySet() + " (coderun.secrets.keys)");
        }
        if (parsed.data().length < NONCE_BYTES + TAG_BITS / 8) {
            throw new SealedSecretsException("the sealed secrets are truncated");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key.seal(), new GCMParameterSpec(TAG_BITS, parsed.data(), 0, NONCE_BYTES));
            cipher.updateAAD(associatedData(FORMAT + "." + parsed.keyId(), context));
            return decode(cipher.doFinal(parsed.data(), NONCE_BYTES, parsed.data().length - NONCE_BYTES));
        } catch (AEADBadTagException e) {
            throw new SealedSecretsException("the sealed secrets do not open under key '" + parsed.keyId()
                    + "': they were altered, or sealed for another owner");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JDK", e);
        }
    }

    /** The id of the key {@code sealed} was sealed under (without checking that it opens). */
    public static String keyIdOf(String sealed) {
        return parse(sealed).keyId();
    }

    /** Whether {@code sealed} was sealed under the current key; when not, {@link #reseal} moves it there. */
    public boolean isCurrent(String sealed) {
        return keyIdOf(sealed).equals(currentKeyId);
    }

    /** {@code sealed} opened and sealed again under the current key, for the same context. */
    public String reseal(String sealed, String context) {
        return seal(open(sealed, context), context);
    }

    /**
     * A fingerprint of {@code secrets} for {@code context} under the current key: {@code <key id>.<base64url HMAC>}.
     * Equal secrets give equal fingerprints under one key, so a stored fingerprint tells whether secrets changed without
     * storing them; without the key it reveals nothing about them.
     */
    public String fingerprint(Map<String, String> secrets, String context) {
        return fingerprint(currentKeyId, secrets, context);
    }

    /**
     * Whether {@code stored} (from {@link #fingerprint}) is the fingerprint of {@code secrets} for {@code context},
     * recomputed under the key it names; false when that key is no longer in the ring.
     */
    public boolean matches(String stored, Map<String, String> secrets, String context) {
        int dot = stored == null ? -1 : stored.indexOf('.');
        if (dot < 0 || !keys.containsKey(stored.substring(0, dot))) {
            return false;
        }
        return MessageDigest.isEqual(
                stored.getBytes(StandardCharsets.UTF_8),
                fingerprint(stored.substring(0, dot), secrets, context).getBytes(StandardCharsets.UTF_8));
    }

    /** The fingerprints of {@code secrets} for {@code context} under every key of the ring, the current one first. */
    public List<String> fingerprintsUnderEveryKey(Map<String, String> secrets, String context) {
        List<String> all = new ArrayList<>();
        all.add(fingerprint(secrets, context));
        keys.keySet().stream().sorted().filter(id -> !id.equals(currentKeyId))
                .forEach(id -> all.add(fingerprint(id, secrets, context)));
        return all;
    }

    private String fingerprint(String keyId, Map<String, String> secrets, String context) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(keys.get(keyId).fingerprint());
            mac.update(context.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return keyId + "." + B64.encodeToString(mac.doFinal(encode(secrets)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }

    @Override
    public String toString() {
        return "SecretKeyRing[keys=" + new TreeSet<>(keys.keySet()) + ", current=" + currentKeyId + "]";
    }

    /** A sealed value that cannot be opened; the message names the key id and the cause, never a value. */
    public static final class SealedSecretsException extends RuntimeException {
        public SealedSecretsException(String message) {
            super(message);
        }
    }

    private record Parsed(String keyId, byte[] data) {}

    private static Parsed parse(String sealed) {
        String[] parts = sealed == null ? new String[0] : sealed.split("\\.", -1);
        if (parts.length != 3 || !parts[0].equals(FORMAT) || !KEY_ID.matcher(parts[1]).matches()) {
            throw new SealedSecretsException("not a sealed secrets value (expected " + FORMAT + ".<key id>.<data>)");
        }
        try {
            return new Parsed(parts[1], B64_DECODE.decode(parts[2]));
        } catch (IllegalArgumentException e) {
            throw new SealedSecretsException("the sealed secrets under key '" + parts[1] + "' are not valid base64url");
        }
    }

    private static byte[] associatedData(String header, String context) {
        return (header + "\n" + context).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] decodeKey(String text) {
        return text.indexOf('-') >= 0 || text.indexOf('_') >= 0
                ? Base64.getUrlDecoder().decode(text) : Base64.getDecoder().decode(text);
    }

    private static DerivedKeys derive(byte[] material) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(material, "HmacSHA256"));
            byte[] seal = mac.doFinal(SEAL_LABEL);
            byte[] fingerprint = mac.doFinal(FINGERPRINT_LABEL);
            return new DerivedKeys(new SecretKeySpec(seal, "AES"), new SecretKeySpec(fingerprint, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }

    /** Entries sorted by name, each as length-prefixed UTF-8 name and value: one encoding per map. */
    private static byte[] encode(Map<String, String> secrets) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            Map<String, String> sorted = new TreeMap<>(secrets);
            out.writeInt(sorted.size());
            for (Map.Entry<String, String> entry : sorted.entrySet()) {
                writeText(out, entry.getKey());
                writeText(out, entry.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void writeText(DataOutputStream out, String text) throws IOException {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static Map<String, String> decode(byte[] plain) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(plain))) {
            int n = in.readInt();
            Map<String, String> secrets = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                secrets.put(readText(in), readText(in));
            }
            return Map.copyOf(secrets);
        } catch (IOException e) {
            // Authenticated, so written by seal(): unreachable unless the format changed without its version.
            throw new SealedSecretsException("the opened secrets are not in format " + FORMAT);
        }
    }

    private static String readText(DataInputStream in) throws IOException {
        byte[] utf8 = new byte[in.readInt()];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }
}

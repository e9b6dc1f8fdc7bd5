package dev.coderun.gateway.api;

/**
 * What text the gateway accepts from a client: well-formed UTF-16 (no unpaired surrogate, which no UTF-8 encoder can
 * write, so it could reach neither PostgreSQL nor Kafka intact) and, where it is stored, no NUL character (PostgreSQL
 * {@code text} and {@code jsonb} cannot hold U+0000: "invalid byte sequence for encoding UTF8: 0x00").
 */
public final class StorableText {

    private StorableText() {}

    /** Why PostgreSQL cannot store {@code text}, or null when it can. */
    public static String problem(String text) {
        return text.indexOf('\0') >= 0 ? "must not contain NUL characters" : encodingProblem(text);
    }

    /** Why {@code text} cannot be encoded as UTF-8 (an unpaired surrogate), or null when it can. */
    public static String encodingProblem(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "must not contain unpaired surrogates";
            }
        }
        return null;
    }
}

package dev.coderun.worker.execution;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Blanks secret values out of text that may echo them (a Docker engine error can quote the request it refused, env
 * included). Longer values are blanked first, so a value inside another cannot leave part of the longer one behind.
 */
final class Redaction {

    static final String BLANK = "[redacted]";

    private final List<String> values;

    private Redaction(List<String> values) {
        this.values = values;
    }

    static Redaction of(Collection<String> secretValues) {
        return new Redaction(secretValues.stream()
                .filter(value -> !value.isEmpty())
                .distinct()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList());
    }

    String apply(String text) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String value : values) {
            out = out.replace(value, BLANK);
        }
        return out;
    }

    /**
     * {@code failure} with every message of its cause chain (and of their suppressed exceptions) blanked: copies of
     * the same types' names and stack traces, safe to log. Without secrets, {@code failure} itself.
     */
    Throwable apply(Throwable failure) {
        return values.isEmpty() || failure == null ? failure : copy(failure, 0);
    }

    private Throwable copy(Throwable failure, int depth) {
        Redacted copy = new Redacted(failure.getClass().getName() + ": " + apply(failure.getMessage()));
        copy.setStackTrace(failure.getStackTrace());
        if (failure.getCause() != null && failure.getCause() != failure && depth < 16) {
            copy.initCause(copy(failure.getCause(), depth + 1));
        }
        for (Throwable suppressed : failure.getSuppressed()) {
            copy.addSuppressed(copy(suppressed, depth + 1));
        }
        return copy;
    }

    /** A logged stand-in for an exception whose messages were blanked; its message starts with the original type. */
    static final class Redacted extends RuntimeException {
        Redacted(String message) {
            super(message);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }
}

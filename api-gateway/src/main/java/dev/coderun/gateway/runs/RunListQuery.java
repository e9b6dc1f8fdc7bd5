package dev.coderun.gateway.runs;

import dev.coderun.events.RunStatus;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.limits.RequestLimits;
import dev.coderun.gateway.runtimes.RuntimeValidator;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The filters and page of {@code GET .../code-runs}, parsed from the query string in one place. Every filter narrows
 * the list (they combine with AND):
 *
 * @param status only runs in this status, or null
 * @param runtimeKey only runs of this runtime, or null
 * @param labelValues {@code label=key=value}: the run's label {@code key} equals {@code value}; the same key asked
 *     with two values matches nothing
 * @param labelKeys {@code label=key}: the run has the label {@code key}, whatever its value
 * @param createdAfter only runs created strictly after this instant, or null
 * @param createdBefore only runs created strictly before this instant, or null
 * @param before the keyset cursor: the (created_at, id) of the last run of the previous page, or null
 * @param limit page size, 1 to {@link RequestLimits#maxPageSize()}
 */
record RunListQuery(
        RunStatus status,
        String runtimeKey,
        List<Map.Entry<String, String>> labelValues,
        Set<String> labelKeys,
        Instant createdAfter,
        Instant createdBefore,
        Cursor before,
        int limit) {

    static final int DEFAULT_LIMIT = 50;

    /** A position in the newest-first listing. */
    record Cursor(Instant createdAt, UUID id) {

        String encode() {
            String raw = createdAt + "|" + id;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * Parses the query parameters; every problem found is reported at once, as a 422 naming each parameter.
     *
     * @param params the decoded query parameters, each with all its values in order
     */
    static RunListQuery parse(Map<String, List<String>> params, RequestLimits limits) {
        List<FieldViolation> errors = new ArrayList<>();
        RunStatus status = null;
        String statusParam = single(params, "status", errors);
        if (statusParam != null) {
            try {
                status = RunStatus.valueOf(statusParam.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                errors.add(FieldViolation.invalid("status", "unknown status '" + statusParam + "'"));
            }
        }
        String runtimeKey = single(params, "runtime_key", errors);
        if (runtimeKey != null && runtimeKey.indexOf('\0') >= 0) {
            errors.add(FieldViolation.invalid("runtime_key", "must not contain NUL"));
        }
        List<Map.Entry<String, String>> labelValues = new ArrayList<>();
        Set<String> labelKeys = new LinkedHashSet<>();
        List<String> labels = params.getOrDefault("label", List.of());
        if (labels.size() > limits.maxLabels()) {
            errors.add(FieldViolation.tooLong("label", "at most " + limits.maxLabels() + " label filters"));
        } else {
            for (String label : labels) {
                int eq = label.indexOf('=');
                String key = eq < 0 ? label : label.substring(0, eq);
                if (!RuntimeValidator.isLabelKey(key)) {
                    errors.add(FieldViolation.invalid("label", "'" + label + "' is not key or key=value with a valid"
                            + " label key"));
                } else if (eq < 0) {
                    labelKeys.add(key);
                } else if (label.length() - eq - 1 > 255 || label.indexOf('\0') >= 0) {
                    errors.add(FieldViolation.invalid("label", "a label value is a string of at most 255 characters"));
                } else {
                    labelValues.add(Map.entry(key, label.substring(eq + 1)));
                }
            }
        }
        Instant after = instant(params, "created_after", errors);
        Instant before = instant(params, "created_before", errors);
        int limit = DEFAULT_LIMIT;
        String limitParam = single(params, "limit", errors);
        if (limitParam != null) {
            try {
                limit = Integer.parseInt(limitParam);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > limits.maxPageSize()) {
                errors.add(FieldViolation.outOfRange("limit", "must be an integer between 1 and " + limits.maxPageSize()));
            }
        }
        Cursor cursor = null;
        String cursorParam = single(params, "cursor", errors);
        if (cursorParam != null) {
            cursor = decodeCursor(cursorParam, errors);
        }
        if (!errors.isEmpty()) {
            throw ApiException.validation(errors);
        }
        return new RunListQuery(status, runtimeKey, List.copyOf(labelValues), Set.copyOf(labelKeys), after, before,
                cursor, limit);
    }

    /** The label filters of the {@code key=value} kind as one map, or null when one key is asked with two values. */
    Map<String, String> labelObject() {
        Map<String, String> object = new LinkedHashMap<>();
        for (Map.Entry<String, String> pair : labelValues) {
            String previous = object.putIfAbsent(pair.getKey(), pair.getValue());
            if (previous != null && !previous.equals(pair.getValue())) {
                return null;
            }
        }
        return object;
    }

    private static String single(Map<String, List<String>> params, String name, List<FieldViolation> errors) {
        List<String> values = params.getOrDefault(name, List.of());
        if (values.size() > 1) {
            errors.add(FieldViolation.invalid(name, name + " may be given once"));
            return null;
        }
        return values.isEmpty() ? null : values.getFirst();
    }

    /** An RFC 3339 date-time with an offset ({@code 2026-03-01T12:00:00Z}, {@code ...+02:00}), as an instant. */
    private static Instant instant(Map<String, List<String>> params, String name, List<FieldViolation> errors) {
        String value = single(params, name, errors);
        if (value == null) {
            return null;
        }
        try {
            // RFC 3339 allows a lowercase t and z; java.time reads only the uppercase ones.
            return OffsetDateTime.parse(value.toUpperCase(Locale.ROOT)).toInstant();
        } catch (DateTimeParseException e) {
            errors.add(FieldViolation.invalid(name, "must be an RFC 3339 date-time with an offset, e.g."
                    + " 2026-03-01T12:00:00Z (percent-encode a '+' offset as %2B)"));
            return null;
        }
    }

    private static Cursor decodeCursor(String cursor, List<FieldViolation> errors) {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|");
            return new Cursor(Instant.parse(parts[0]), UUID.fromString(parts[1]));
        } catch (RuntimeException e) {
            errors.add(FieldViolation.invalid("cursor", "not a cursor this API issued"));
            return null;
        }
    }
}

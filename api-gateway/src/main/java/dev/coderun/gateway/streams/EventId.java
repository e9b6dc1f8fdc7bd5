package dev.coderun.gateway.streams;

import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.FieldViolation;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SSE id of a handle-stream event: {@code <partition>-<offset>} of its record on the events topic. A handle's
 * events all live in one partition (key = handle), so the offset alone orders them and resuming after it is exact.
 */
public record EventId(int partition, long offset) {

    static final String FIELD = "last_event_id";
    private static final Pattern FORMAT = Pattern.compile("^(\\d{1,9})-(\\d{1,18})$");

    public EventId {
        if (partition < 0 || offset < 0) {
            throw new IllegalArgumentException("partition and offset must not be negative");
        }
    }

    /** Reads an id this API issued; anything else is a {@code validation_failed} on {@code last_event_id}. */
    public static EventId parse(String raw) {
        Matcher m = FORMAT.matcher(raw == null ? "" : raw.strip());
        if (!m.matches()) {
            throw unknown("not an event id this API issued (expected <partition>-<offset>)");
        }
        return new EventId(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
    }

    static ApiException unknown(String message) {
        return ApiException.validation(FieldViolation.invalid(FIELD, message));
    }

    @Override
    public String toString() {
        return partition + "-" + offset;
    }
}

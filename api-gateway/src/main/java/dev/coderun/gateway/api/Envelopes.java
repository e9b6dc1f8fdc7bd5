package dev.coderun.gateway.api;

import java.util.List;

/** The API's response shapes: {@code {"data": ...}}, pages, and {@code {"error": ...}}. */
public final class Envelopes {

    private Envelopes() {}

    public record Data<T>(T data) {}

    public record Page<T>(List<T> data, String nextCursor) {}

    public record Error(ErrorBody error) {}

    /** @param run present for errors about a run, e.g. output_unavailable carrying the run's error */
    public record ErrorBody(String code, String message, String requestId, List<FieldViolation> details, Object run) {}

    public static <T> Data<T> data(T data) {
        return new Data<>(data);
    }
}

package dev.coderun.gateway.api;

import java.time.Duration;
import java.util.List;
import org.springframework.http.HttpStatus;

/**
 * An error the API answers with, in its one envelope. Every error the gateway means to return is one of these; the
 * mapping of everything else happens in {@link ApiErrorHandler}.
 */
public final class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final String code;
    private final List<FieldViolation> details;
    private final Duration retryAfter;
    private final transient Object extra;

    public ApiException(HttpStatus status, String code, String message) {
        this(status, code, message, List.of(), null, null);
    }

    private ApiException(
            HttpStatus status, String code, String message, List<FieldViolation> details, Duration retryAfter,
            Object extra) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.details = List.copyOf(details);
        this.retryAfter = retryAfter;
        this.extra = extra;
    }

    public static ApiException unauthenticated(String message) {
        return new ApiException(HttpStatus.UNAUTHORIZED, "unauthenticated", message);
    }

    public static ApiException forbidden(String message) {
        return new ApiException(HttpStatus.FORBIDDEN, "forbidden", message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(HttpStatus.NOT_FOUND, "not_found", message);
    }

    public static ApiException conflict(String message) {
        return new ApiException(HttpStatus.CONFLICT, "conflict", message);
    }

    public static ApiException preconditionFailed(String message) {
        return new ApiException(HttpStatus.PRECONDITION_FAILED, "precondition_failed", message);
    }

    public static ApiException validation(List<FieldViolation> details) {
        return new ApiException(
                HttpStatus.UNPROCESSABLE_CONTENT, "validation_failed", "the request is not valid", details, null, null);
    }

    public static ApiException validation(FieldViolation violation) {
        return validation(List.of(violation));
    }

    public static ApiException payloadTooLarge(String message) {
        return new ApiException(HttpStatus.CONTENT_TOO_LARGE, "payload_too_large", message);
    }

    public static ApiException upstreamUnavailable(String message) {
        return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "upstream_unavailable", message);
    }

    /** 429 {@code rate_limited}: the token spent its budget for this route class; {@code retryAfter} until the next. */
    public static ApiException rateLimited(String message, Duration retryAfter) {
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, "rate_limited", message, List.of(), retryAfter, null);
    }

    /** 429 {@code quota_exceeded}: the handle used today's writes; {@code retryAfter} until the next UTC day. */
    public static ApiException quotaExceeded(String message, Duration retryAfter) {
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, "quota_exceeded", message, List.of(), retryAfter, null);
    }

    /** An error that carries one more object in its envelope, e.g. the run's own error for output_unavailable. */
    public static ApiException withExtra(HttpStatus status, String code, String message, Object extra) {
        return new ApiException(status, code, message, List.of(), null, extra);
    }

    public HttpStatus status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<FieldViolation> details() {
        return details;
    }

    /** How long the client should wait before trying again ({@code Retry-After}); null for errors without one. */
    public Duration retryAfter() {
        return retryAfter;
    }

    public Object extra() {
        return extra;
    }
}

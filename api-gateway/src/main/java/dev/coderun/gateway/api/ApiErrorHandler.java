package dev.coderun.gateway.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.core.annotation.Order;
import org.springframework.core.codec.DecodingException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one place errors become HTTP: every failure, from a filter, a handler or the framework, leaves as the
 * {@code {"error": ...}} envelope with the request id, and never with a stack trace.
 */
@Component
@Order(-2)
public class ApiErrorHandler implements WebExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiErrorHandler.class);

    private final JsonMapper json;

    public ApiErrorHandler(JsonMapper json) {
        this.json = json;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable failure) {
        if (exchange.getResponse().isCommitted()) {
            return Mono.error(failure);
        }
        String requestId = RequestIds.of(exchange);
        String runId = RunIdLogging.of(exchange);
        ApiException error;
        // Outside the request's Reactor context: the run's id goes into the MDC here, for the lines logged below.
        try (MDC.MDCCloseable logged = runId == null ? null : MDC.putCloseable(RunIdLogging.KEY, runId)) {
            error = toApiException(failure, requestId);
        }
        var response = exchange.getResponse();
        response.setStatusCode(error.status());
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        if (error.retryAfter() != null) {
            response.getHeaders().set(HttpHeaders.RETRY_AFTER, String.valueOf(retryAfterSeconds(error.retryAfter())));
        }
        DataBuffer buffer = response.bufferFactory().wrap(bodyOf(error, requestId));
        return response.writeWith(Mono.just(buffer));
    }

    /** Whole seconds, rounded up (a client that waits them finds what it waits for); never 0, which reads as now. */
    static long retryAfterSeconds(Duration wait) {
        long seconds = wait.toSeconds() + (wait.toNanosPart() > 0 ? 1 : 0);
        return Math.max(1, seconds);
    }

    /** The envelope of {@code error} as JSON bytes; also written by refusals made before WebFlux ({@link NettyRefusals}). */
    byte[] bodyOf(ApiException error, String requestId) {
        return json.writeValueAsBytes(new Envelopes.Error(new Envelopes.ErrorBody(
                error.code(), error.getMessage(), requestId, error.details(), error.extra())));
    }

    static ApiException toApiException(Throwable failure, String requestId) {
        if (failure instanceof ApiException api) {
            return api;
        }
        Throwable limit = find(failure, DataBufferLimitException.class);
        if (limit != null) {
            return ApiException.payloadTooLarge("the request body is too large");
        }
        if (DatabaseUnavailable.anywhereIn(failure)) {
            log.warn("database unavailable, request_id={}: {}", requestId, failure.toString());
            return ApiException.upstreamUnavailable("the database is unavailable; try again shortly");
        }
        if (failure instanceof ServerWebInputException input) {
            return fromInput(input);
        }
        if (failure instanceof ResponseStatusException status) {
            int code = status.getStatusCode().value();
            return switch (code) {
                case 404 -> ApiException.notFound("no such route");
                case 405 -> new ApiException(HttpStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                        "method not allowed on this route");
                case 406 -> new ApiException(HttpStatus.NOT_ACCEPTABLE, "not_acceptable", "only application/json");
                case 413 -> ApiException.payloadTooLarge("the request body is too large");
                case 415 -> new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                        "send application/json");
                default -> code < 500
                        ? ApiException.validation(FieldViolation.invalid("request", safeReason(status)))
                        : internal(failure, requestId);
            };
        }
        return internal(failure, requestId);
    }

    private static ApiException fromInput(ServerWebInputException input) {
        JsonText.TextRefused text = find(input, JsonText.TextRefused.class);
        if (text != null) {
            String field = path(text);
            return ApiException.validation(FieldViolation.invalid(field.isEmpty() ? "body" : field,
                    text.getOriginalMessage()));
        }
        UnrecognizedPropertyException unknown = find(input, UnrecognizedPropertyException.class);
        if (unknown != null) {
            String field = path(unknown);
            return ApiException.validation(new FieldViolation(
                    field, "unknown field '" + unknown.getPropertyName() + "'", "unknown_field"));
        }
        DatabindException databind = find(input, DatabindException.class);
        if (databind != null) {
            String field = path(databind);
            return ApiException.validation(FieldViolation.invalid(
                    field.isEmpty() ? "body" : field, "has the wrong type or is malformed"));
        }
        if (find(input, DecodingException.class) != null || input.getReason() != null
                && input.getReason().contains("body")) {
            return ApiException.validation(FieldViolation.invalid("body", "the body is not valid JSON"));
        }
        return ApiException.validation(FieldViolation.invalid("request", safeReason(input)));
    }

    private static String path(DatabindException e) {
        List<String> parts = new ArrayList<>();
        for (var ref : e.getPath()) {
            if (ref.getPropertyName() != null) {
                parts.add((parts.isEmpty() ? "" : ".") + ref.getPropertyName());
            } else if (ref.getIndex() >= 0) {
                parts.add("[" + ref.getIndex() + "]");
            }
        }
        return String.join("", parts);
    }

    private static String safeReason(ResponseStatusException e) {
        return e.getReason() == null ? "the request is not valid" : e.getReason();
    }

    private static ApiException internal(Throwable failure, String requestId) {
        log.error("internal error, request_id={}", requestId, failure);
        return new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, "internal",
                "internal error; quote request id " + requestId + " to support");
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }
}

package dev.coderun.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.coderun.gateway.runtimes.RuntimeRequest;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.core.codec.DecodingException;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebInputException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

class ApiErrorHandlerTest {

    private static final String REQUEST_ID = "req_test-123";

    /** Configured as the gateway's: snake_case, unknown properties refused. */
    private static final JsonMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    @Test
    void retryAfterIsWholeSecondsRoundedUpAndNeverZero() {
        assertThat(ApiErrorHandler.retryAfterSeconds(Duration.ofMillis(400))).isEqualTo(1);
        assertThat(ApiErrorHandler.retryAfterSeconds(Duration.ofSeconds(3))).isEqualTo(3);
        assertThat(ApiErrorHandler.retryAfterSeconds(Duration.ofMillis(3001))).isEqualTo(4);
        assertThat(ApiErrorHandler.retryAfterSeconds(Duration.ZERO)).isEqualTo(1);
    }

    @Test
    void anApiExceptionPassesThroughUnchanged() {
        ApiException conflict = ApiException.conflict("run is already SUCCEEDED");

        assertThat(ApiErrorHandler.toApiException(conflict, REQUEST_ID)).isSameAs(conflict);
    }

    @Test
    void aBodyOverTheBufferLimitIsPayloadTooLarge() {
        assertPayloadTooLarge(new DataBufferLimitException("Exceeded limit on max bytes to buffer : 2097152"));
    }

    @Test
    void aBufferLimitWrappedByTheDecoderIsStillPayloadTooLarge() {
        ServerWebInputException wrapped = new ServerWebInputException(
                "Failed to read HTTP message", null,
                new DecodingException("decoding failed", new DataBufferLimitException("limit")));

        assertPayloadTooLarge(wrapped);
    }

    @Test
    void anUnknownTopLevelFieldIsAValidationFailureNamingTheField() {
        ApiException error = ApiErrorHandler.toApiException(
                decodingFailure("{\"image\": {\"uri\": \"busybox\"}, \"bogus\": 1}"), REQUEST_ID);

        assertThat(error.status()).isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT);
        assertThat(error.code()).isEqualTo("validation_failed");
        assertThat(error.details()).singleElement().satisfies(v -> {
            assertThat(v.field()).isEqualTo("bogus");
            assertThat(v.type()).isEqualTo("unknown_field");
            assertThat(v.message()).contains("bogus");
        });
    }

    @Test
    void anUnknownNestedFieldIsNamedByItsPath() {
        ApiException error = ApiErrorHandler.toApiException(
                decodingFailure("{\"sandbox\": {\"privileged\": true}}"), REQUEST_ID);

        assertThat(error.details()).singleElement().satisfies(v -> {
            assertThat(v.field()).isEqualTo("sandbox.privileged");
            assertThat(v.type()).isEqualTo("unknown_field");
        });
    }

    @Test
    void aWrongTypeIsAValidationFailureOnThatField() {
        ApiException error = ApiErrorHandler.toApiException(
                decodingFailure("{\"resources\": {\"memory_mb\": \"lots\"}}"), REQUEST_ID);

        assertThat(error.code()).isEqualTo("validation_failed");
        assertThat(error.details()).singleElement().satisfies(v -> {
            assertThat(v.field()).isEqualTo("resources.memory_mb");
            assertThat(v.type()).isEqualTo("invalid");
        });
    }

    @Test
    void malformedJsonIsAValidationFailureOnTheBody() {
        ApiException error = ApiErrorHandler.toApiException(decodingFailure("{\"image\": "), REQUEST_ID);

        assertThat(error.status()).isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT);
        assertThat(error.details()).extracting(FieldViolation::field).containsExactly("body");
    }

    static Stream<Arguments> frameworkStatuses() {
        return Stream.of(
                Arguments.of(new ResponseStatusException(HttpStatus.NOT_FOUND), HttpStatus.NOT_FOUND, "not_found"),
                Arguments.of(new ResponseStatusException(HttpStatus.METHOD_NOT_ALLOWED),
                        HttpStatus.METHOD_NOT_ALLOWED, "method_not_allowed"),
                Arguments.of(new MethodNotAllowedException(HttpMethod.DELETE, List.of(HttpMethod.GET)),
                        HttpStatus.METHOD_NOT_ALLOWED, "method_not_allowed"),
                Arguments.of(new ResponseStatusException(HttpStatus.NOT_ACCEPTABLE),
                        HttpStatus.NOT_ACCEPTABLE, "not_acceptable"),
                Arguments.of(new ResponseStatusException(HttpStatus.UNSUPPORTED_MEDIA_TYPE),
                        HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
                Arguments.of(new ResponseStatusException(HttpStatus.CONTENT_TOO_LARGE),
                        HttpStatus.CONTENT_TOO_LARGE, "payload_too_large"),
                Arguments.of(new ResponseStatusException(HttpStatus.BAD_REQUEST, "missing parameter"),
                        HttpStatus.UNPROCESSABLE_CONTENT, "validation_failed"));
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @MethodSource("frameworkStatuses")
    void frameworkStatusesMapToTheirApiCodes(ResponseStatusException failure, HttpStatus status, String code) {
        ApiException error = ApiErrorHandler.toApiException(failure, REQUEST_ID);

        assertThat(error.status()).isEqualTo(status);
        assertThat(error.code()).isEqualTo(code);
    }

    static Stream<Throwable> databaseUnavailable() {
        return Stream.of(
                new DataAccessResourceFailureException("Failed to obtain R2DBC Connection",
                        new R2dbcNonTransientResourceException("Cannot connect to localhost/127.0.0.1:5432")),
                new CannotCreateTransactionException("Could not open R2DBC Connection for transaction",
                        new R2dbcNonTransientResourceException("Connection refused")),
                new QueryTimeoutException("no answer"));
    }

    @ParameterizedTest
    @MethodSource("databaseUnavailable")
    void anUnreachableDatabaseIsUpstreamUnavailable(Throwable failure) {
        ApiException error = ApiErrorHandler.toApiException(failure, REQUEST_ID);

        assertThat(error.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(error.code()).isEqualTo("upstream_unavailable");
        assertThat(error.getMessage()).doesNotContain("5432");
    }

    static Stream<Throwable> unexpectedFailures() {
        return Stream.of(
                new IllegalStateException("connection to postgres://coderun:s3cret@db failed"),
                new NullPointerException("Cannot invoke \"s3cret.length()\""),
                new ResponseStatusException(HttpStatus.SERVICE_UNAVAILABLE, "kafka s3cret broker down"),
                new RuntimeException("outer", new IllegalArgumentException("s3cret cause")));
    }

    @ParameterizedTest
    @MethodSource("unexpectedFailures")
    void anythingElseIsInternalQuotingTheRequestIdAndNothingOfTheFailure(Throwable failure) {
        ApiException error = ApiErrorHandler.toApiException(failure, REQUEST_ID);

        assertThat(error.status()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
        assertThat(error.code()).isEqualTo("internal");
        assertThat(error.getMessage()).contains(REQUEST_ID).doesNotContain("s3cret");
        assertThat(error.details()).isEmpty();
        assertThat(error.getStackTrace()).isEmpty();
    }

    private static void assertPayloadTooLarge(Throwable failure) {
        ApiException error = ApiErrorHandler.toApiException(failure, REQUEST_ID);

        assertThat(error.status()).isEqualTo(HttpStatus.CONTENT_TOO_LARGE);
        assertThat(error.code()).isEqualTo("payload_too_large");
    }

    /** What WebFlux raises when Jackson refuses a {@link RuntimeRequest} body. */
    private static ServerWebInputException decodingFailure(String body) {
        JacksonException jackson = catchThrowableOfType(
                JacksonException.class, () -> JSON.readValue(body, RuntimeRequest.class));
        assertThat(jackson).as("Jackson should refuse %s", body).isNotNull();
        return new ServerWebInputException(
                "Failed to read HTTP message", null, new DecodingException("JSON decoding error", jackson));
    }
}

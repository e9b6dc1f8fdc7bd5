package dev.coderun.gateway.projection;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.R2dbcBadGrammarException;
import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTimeoutException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.r2dbc.BadSqlGrammarException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.util.backoff.BackOffExecution;
import reactor.core.publisher.Mono;

class ProjectionFailureTest {

    private static final ProjectorProperties DEFAULTS =
            new ProjectorProperties(Duration.ofMillis(200), Duration.ofSeconds(5), 3, Duration.ofMillis(500),
                    Duration.ofSeconds(10));

    static Stream<Named<Throwable>> readModelUnavailable() {
        return Stream.of(
                Named.of("connection refused by the driver", new R2dbcNonTransientResourceException(
                        "Cannot connect to localhost/127.0.0.1:5432", new ConnectException("Connection refused"))),
                Named.of("connection closed by the server", new R2dbcNonTransientResourceException("closed")),
                Named.of("driver's transient resource error", new R2dbcTransientResourceException("too many clients")),
                Named.of("pool acquire timeout", new R2dbcTimeoutException("acquire", new TimeoutException())),
                Named.of("Spring's translation", new DataAccessResourceFailureException(
                        "Failed to obtain R2DBC Connection", new R2dbcNonTransientResourceException("refused"))),
                Named.of("Spring's transient translation", new TransientDataAccessResourceException("busy")),
                Named.of("transaction without a connection", new CannotCreateTransactionException(
                        "Could not open R2DBC Connection for transaction",
                        new R2dbcNonTransientResourceException("refused"))),
                Named.of("the projector's write timeout", new QueryTimeoutException("no answer within 10s")),
                Named.of("a blocking read's timeout", blockTimeout()),
                Named.of("a bare refused connection", new ConnectException("Connection refused")),
                Named.of("any of them from the listener", listenerFailure(
                        new DataAccessResourceFailureException("Failed to obtain R2DBC Connection"))));
    }

    @ParameterizedTest
    @MethodSource("readModelUnavailable")
    void databaseUnavailabilityIsWaitedOut(Throwable failure) {
        assertThat(ProjectionFailure.of(failure)).isEqualTo(ProjectionFailure.READ_MODEL_UNAVAILABLE);
    }

    static Stream<Named<Throwable>> otherFailures() {
        return Stream.of(
                Named.of("constraint violation", new DataIntegrityViolationException("duplicate key",
                        new R2dbcDataIntegrityViolationException("23505"))),
                Named.of("bad SQL",
                        new BadSqlGrammarException("update", "update runs", new R2dbcBadGrammarException())),
                Named.of("a run id that is not a UUID", new IllegalArgumentException("Invalid UUID string: x")),
                Named.of("a missing field", new NullPointerException("spec is null")),
                Named.of("a plain illegal state", new IllegalStateException("unexpected")),
                Named.of("from the listener", listenerFailure(new IllegalArgumentException("bad"))));
    }

    @ParameterizedTest
    @MethodSource("otherFailures")
    void anyOtherFailureIsRetriedAFewTimes(Throwable failure) {
        assertThat(ProjectionFailure.of(failure)).isEqualTo(ProjectionFailure.OTHER);
    }

    @Test
    void aRecordThisBuildCannotReadIsUnreadableWhereverItIsWrapped() {
        UnreadableRecordException unreadable = new UnreadableRecordException("unknown message type 'RunPaused'", null);

        assertThat(ProjectionFailure.of(unreadable)).isEqualTo(ProjectionFailure.UNREADABLE);
        assertThat(ProjectionFailure.of(listenerFailure(unreadable))).isEqualTo(ProjectionFailure.UNREADABLE);
    }

    @Test
    void whileTheReadModelIsUnavailableTheBackOffDoublesUpToItsMaximumAndNeverStops() {
        BackOffExecution backOff = ProjectionFailure.READ_MODEL_UNAVAILABLE.backOff(DEFAULTS).start();

        List<Long> first = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            first.add(backOff.nextBackOff());
        }
        assertThat(first).containsExactly(200L, 400L, 800L, 1600L, 3200L, 5000L, 5000L);
        for (int i = 0; i < 100_000; i++) {
            assertThat(backOff.nextBackOff()).isEqualTo(5000L);
        }
    }

    @Test
    void anyOtherFailureStopsAfterTheConfiguredRetries() {
        BackOffExecution backOff = ProjectionFailure.OTHER.backOff(DEFAULTS).start();

        assertThat(List.of(backOff.nextBackOff(), backOff.nextBackOff(), backOff.nextBackOff()))
                .containsOnly(500L);
        assertThat(backOff.nextBackOff()).isEqualTo(BackOffExecution.STOP);
    }

    @Test
    void anUnreadableRecordIsNotRetried() {
        assertThat(ProjectionFailure.UNREADABLE.backOff(DEFAULTS).start().nextBackOff())
                .isEqualTo(BackOffExecution.STOP);
    }

    @Test
    void theReasonIsOneShortLineNamingTheKindAndTheFailure() {
        String reason = ProjectionFailure.reason(listenerFailure(
                new IllegalArgumentException("Invalid UUID string:\n" + "x".repeat(2000))));

        assertThat(reason).startsWith("other: java.lang.IllegalArgumentException: Invalid UUID string: x")
                .doesNotContain("\n")
                .hasSizeLessThanOrEqualTo(503);
    }

    private static Throwable blockTimeout() {
        try {
            Mono.never().block(Duration.ofMillis(1));
            throw new AssertionError("block() should have timed out");
        } catch (IllegalStateException e) {
            return e;
        }
    }

    private static ListenerExecutionFailedException listenerFailure(Throwable cause) {
        return new ListenerExecutionFailedException("Listener method threw", "run-events-projector", cause);
    }
}

package dev.coderun.gateway.runs;

import static dev.coderun.gateway.GatewayFixtures.RUN_ID;
import static dev.coderun.gateway.GatewayFixtures.aRunRecord;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.coderun.events.RunStatus;
import dev.coderun.gateway.api.ApiException;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Mono;

class CancellationTest {

    /** Far more than {@link Cancellation#SETTLE_WAIT}: a settle that does not stop in time fails the test. */
    private static final Duration BOUND = Duration.ofSeconds(5);

    @ParameterizedTest
    @EnumSource(value = RunStatus.class, names = {"SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "ERRORED",
        "REJECTED"})
    void cancellingARunThatEndedIsAConflictNamingAndCarryingItsStatus(RunStatus ended) {
        ApiException error = catchThrowableOfType(
                ApiException.class, () -> Cancellation.requireCancellable(RUN_ID, ended));

        assertThat(error.status()).isEqualTo(HttpStatus.CONFLICT);
        assertThat(error.code()).isEqualTo("conflict");
        assertThat(error.getMessage()).contains(ended.name()).contains(RUN_ID.toString());
        assertThat(error.extra()).isEqualTo(new Cancellation.EndedRun(RUN_ID, ended));
    }

    @ParameterizedTest
    @EnumSource(value = RunStatus.class, names = {"PENDING", "QUEUED", "STARTING", "RUNNING"})
    void aRunThatHasNotEndedCanBeCancelledAgainAndAgain(RunStatus open) {
        assertThatCode(() -> Cancellation.requireCancellable(RUN_ID, open)).doesNotThrowAnyException();
        assertThat(Cancellation.answer(open)).isEqualTo(HttpStatus.ACCEPTED);
    }

    @ParameterizedTest
    @EnumSource(value = RunStatus.class, names = {"CANCELLED", "SUCCEEDED", "FAILED"})
    void aRunThatEndedByTheTimeOfTheAnswerIsOk(RunStatus ended) {
        assertThat(Cancellation.answer(ended)).isEqualTo(HttpStatus.OK);
    }

    @Test
    void settlingStopsAtTheFirstReadThatShowsTheRunEnded() {
        AtomicInteger reads = new AtomicInteger();
        Iterator<RunStatus> statuses = List.of(RunStatus.QUEUED, RunStatus.QUEUED, RunStatus.CANCELLED).iterator();
        Mono<RunRecord> read = Mono.fromSupplier(() -> {
            reads.incrementAndGet();
            return aRunRecord(statuses.next());
        });

        RunRecord settled = Cancellation.settle(read, aRunRecord(RunStatus.QUEUED)).block(BOUND);

        assertThat(settled.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(reads).hasValue(3);
    }

    @Test
    void aRunStillRunningAfterTheWaitIsAnsweredAsLastRead() {
        long started = System.nanoTime();

        RunRecord settled = Cancellation.settle(Mono.fromSupplier(() -> aRunRecord(RunStatus.RUNNING)),
                aRunRecord(RunStatus.STARTING)).block(BOUND);

        assertThat(settled.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Cancellation.SETTLE_WAIT)
                .isLessThan(Cancellation.SETTLE_WAIT.plusMillis(500));
    }

    @Test
    void whenNoReadSucceedsTheRunIsAnsweredAsItWasBeforeTheCancel() {
        RunRecord before = aRunRecord(RunStatus.RUNNING);

        RunRecord settled = Cancellation.settle(Mono.error(new IllegalStateException("database away")), before)
                .block(BOUND);

        assertThat(settled).isSameAs(before);
    }
}

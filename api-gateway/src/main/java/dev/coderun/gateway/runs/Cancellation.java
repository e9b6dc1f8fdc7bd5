package dev.coderun.gateway.runs;

import dev.coderun.events.RunStatus;
import dev.coderun.gateway.api.ApiException;
import java.time.Duration;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Mono;

/**
 * What a cancel request gets, decided from the run's status: a run that already ended is refused with 409
 * {@code conflict} naming its status; any other run is cancelled (the scheduler decides how, and a repeated cancel is
 * harmless), and the answer is the run as the read model shows it shortly after: 200 once it has ended, 202 while the
 * cancel is still on its way (a running container is being killed).
 */
final class Cancellation {

    /** How often the route re-reads the run while it waits for the cancel to show. */
    static final Duration SETTLE_POLL = Duration.ofMillis(50);

    /** How long the route waits for the cancel to show: long enough for a queued run to end, no longer. */
    static final Duration SETTLE_WAIT = Duration.ofSeconds(1);

    private Cancellation() {}

    /** Refuses to cancel a run that already ended; the error carries the run's id and status. */
    static void requireCancellable(UUID runId, RunStatus status) {
        if (status.isTerminal()) {
            throw ApiException.withExtra(HttpStatus.CONFLICT, "conflict",
                    "run " + runId + " already ended " + status + "; only a run that has not ended can be cancelled",
                    new EndedRun(runId, status));
        }
    }

    /** 200 when the run has ended (cancelled, or it finished first), else 202: the cancel is under way. */
    static HttpStatus answer(RunStatus status) {
        return status.isTerminal() ? HttpStatus.OK : HttpStatus.ACCEPTED;
    }

    /**
     * Re-reads the run every {@link #SETTLE_POLL} until it has ended or {@link #SETTLE_WAIT} has passed, and gives the
     * last read; {@code before} when no read succeeded in time. A failed read counts as no read: the command is out,
     * so the answer must not be an error.
     */
    static Mono<RunRecord> settle(Mono<RunRecord> read, RunRecord before) {
        return read.onErrorResume(e -> Mono.empty())
                .repeatWhen(reads -> reads.delayElements(SETTLE_POLL))
                .takeUntil(run -> run.status().isTerminal())
                .take(SETTLE_WAIT)
                .last(before);
    }

    /** What a 409 on cancel says about the run. */
    record EndedRun(UUID id, RunStatus status) {}
}

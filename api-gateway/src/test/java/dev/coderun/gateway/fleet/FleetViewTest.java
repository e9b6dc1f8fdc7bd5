package dev.coderun.gateway.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.WorkerHeartbeat;
import dev.coderun.events.WorkerHeartbeat.RunAttempt;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class FleetViewTest {

    private static final Instant T0 = Instant.parse("2026-11-26T04:00:00Z");
    private static final Duration LOST_AFTER = Duration.ofSeconds(15);
    private static final Duration FORGET_AFTER = Duration.ofMinutes(10);

    private final FleetView view = new FleetView(LOST_AFTER, FORGET_AFTER);

    @Test
    void aWorkerIsListedWithItsSlotsRunsAndHeartbeatAge() {
        view.fold(beat("w-1", T0, WorkerHeartbeat.ACTIVE, List.of(new RunAttempt("r-1", 1), new RunAttempt("r-2", 2))));

        WorkerStatus worker = view.workers(T0.plusMillis(1500)).getFirst();

        assertThat(worker.workerId()).isEqualTo("w-1");
        assertThat(worker.host()).isEqualTo("host-w-1");
        assertThat(worker.state()).isEqualTo("active");
        assertThat(worker.slots()).isEqualTo(new WorkerStatus.Slots(4, 2, 2));
        assertThat(worker.runs()).containsExactly(new WorkerStatus.RunRef("r-1", 1), new WorkerStatus.RunRef("r-2", 2));
        assertThat(worker.lastHeartbeatAt()).isEqualTo(T0);
        assertThat(worker.heartbeatAgeMs()).isEqualTo(1500);
        assertThat(worker.startedAt()).isEqualTo(T0.minusSeconds(60));
    }

    @Test
    void theNewestHeartbeatOfAWorkerWinsWhateverOrderTheyArriveIn() {
        view.fold(beat("w-1", T0.plusSeconds(3), WorkerHeartbeat.DRAINING, List.of(new RunAttempt("r-1", 1))));
        view.fold(beat("w-1", T0, WorkerHeartbeat.ACTIVE, List.of()));

        assertThat(view.workers(T0.plusSeconds(4))).singleElement()
                .satisfies(w -> assertThat(w.state()).isEqualTo("draining"))
                .satisfies(w -> assertThat(w.lastHeartbeatAt()).isEqualTo(T0.plusSeconds(3)));

        view.fold(beat("w-1", T0.plusSeconds(6), WorkerHeartbeat.DRAINED, List.of()));

        assertThat(view.worker("w-1", T0.plusSeconds(7)).orElseThrow().state()).isEqualTo("drained");
    }

    @Test
    void aWorkerSilentLongerThanLostAfterIsLostAndForgottenAfterForgetAfter() {
        view.fold(beat("w-1", T0, WorkerHeartbeat.DRAINING, List.of(new RunAttempt("r-1", 1))));

        assertThat(view.worker("w-1", T0.plus(LOST_AFTER)).orElseThrow().state()).isEqualTo("draining");
        assertThat(view.worker("w-1", T0.plus(LOST_AFTER).plusMillis(1)).orElseThrow().state()).isEqualTo("lost");
        assertThat(view.worker("w-1", T0.plus(FORGET_AFTER)).orElseThrow().state()).isEqualTo("lost");
        assertThat(view.worker("w-1", T0.plus(FORGET_AFTER).plusMillis(1))).isEmpty();
        assertThat(view.workers(T0.plus(FORGET_AFTER).plusMillis(1))).isEmpty();
    }

    @Test
    void aTombstoneForgetsTheWorkerAndWorkersAreListedById() {
        view.fold(beat("w-2", T0, WorkerHeartbeat.ACTIVE, List.of()));
        view.fold(beat("w-1", T0, WorkerHeartbeat.ACTIVE, List.of()));
        view.fold(beat("w-3", T0, WorkerHeartbeat.ACTIVE, List.of()));

        view.forget("w-3");

        assertThat(view.workers(T0)).extracting(WorkerStatus::workerId).containsExactly("w-1", "w-2");
        assertThat(view.worker("w-3", T0)).isEmpty();
    }

    @Test
    void aHeartbeatOfAWorkerWithoutAttemptsListsItsRunIdsWithoutAttempt() {
        view.fold(new WorkerHeartbeat("old", 2, List.of("r-9"), T0.minusSeconds(5), T0));

        WorkerStatus worker = view.worker("old", T0).orElseThrow();

        assertThat(worker.state()).isEqualTo("active");
        assertThat(worker.host()).isNull();
        assertThat(worker.runs()).containsExactly(new WorkerStatus.RunRef("r-9", null));
        assertThat(worker.slots()).isEqualTo(new WorkerStatus.Slots(2, 1, 1));
    }

    @Test
    void aHeartbeatFromAClockAheadOfOursHasAgeZeroNotNegative() {
        view.fold(beat("w-1", T0.plusSeconds(2), WorkerHeartbeat.ACTIVE, List.of()));

        assertThat(view.worker("w-1", T0).orElseThrow().heartbeatAgeMs()).isZero();
    }

    private static WorkerHeartbeat beat(String id, Instant at, String state, List<RunAttempt> runs) {
        return new WorkerHeartbeat(id, 4, runs.stream().map(RunAttempt::runId).toList(), T0.minusSeconds(60), at,
                "host-" + id, state, runs, null, List.of());
    }
}

package dev.coderun.worker.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.worker.fleet.Drain.Mode;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DrainTest {

    private static final Instant NOW = Instant.parse("2026-11-26T04:00:00Z");
    private static final Instant DEADLINE = NOW.plusSeconds(60);

    @Test
    void anActiveWorkerTakesWorkAndNothingIsDue() {
        Drain active = Drain.active();

        assertThat(active.takesWork()).isTrue();
        assertThat(active.handBackDue(NOW.plusSeconds(3600))).isFalse();
        assertThat(active.onTick(0)).isEqualTo(active);
    }

    @Test
    void drainingAWorkerHoldingRunsStopsItTakingWorkUntilItsRunsEnd() {
        Drain draining = Drain.active().onDrain(DEADLINE, 2);

        assertThat(draining.mode()).isEqualTo(Mode.DRAINING);
        assertThat(draining.takesWork()).isFalse();
        assertThat(draining.onTick(1).mode()).isEqualTo(Mode.DRAINING);
        assertThat(draining.onTick(0).mode()).isEqualTo(Mode.DRAINED);
        assertThat(draining.onTick(0).takesWork()).isFalse();
    }

    @Test
    void drainingAnIdleWorkerDrainsItAtOnce() {
        assertThat(Drain.active().onDrain(DEADLINE, 0).mode()).isEqualTo(Mode.DRAINED);
        assertThat(Drain.active().onDrain(null, 0).mode()).isEqualTo(Mode.DRAINED);
    }

    @Test
    void theRunsAreHandedBackOnlyOnceTheDeadlinePassed() {
        Drain draining = Drain.active().onDrain(DEADLINE, 1);

        assertThat(draining.handBackDue(DEADLINE.minusMillis(1))).isFalse();
        assertThat(draining.handBackDue(DEADLINE)).isTrue();
        assertThat(draining.handBackDue(DEADLINE.plusSeconds(1))).isTrue();
    }

    @Test
    void aDrainWithoutDeadlineNeverHandsBack() {
        Drain draining = Drain.active().onDrain(null, 1);

        assertThat(draining.mode()).isEqualTo(Mode.DRAINING);
        assertThat(draining.handBackDue(NOW.plusSeconds(86_400))).isFalse();
    }

    @Test
    void aSecondDrainReplacesTheDeadlineAndADrainedWorkerStaysDrained() {
        Drain draining = Drain.active().onDrain(DEADLINE, 1);
        Instant sooner = NOW.plusSeconds(5);

        assertThat(draining.onDrain(sooner, 1).deadline()).isEqualTo(sooner);
        assertThat(draining.onDrain(null, 1).deadline()).isNull();
        Drain drained = draining.onTick(0);
        assertThat(drained.onDrain(sooner, 0)).isEqualTo(drained);
    }

    @Test
    void aRunTakenAsTheDrainArrivedMakesADrainedWorkerDrainingUnderTheSameDeadline() {
        Drain drained = Drain.active().onDrain(DEADLINE, 0);

        Drain again = drained.onTick(1);

        assertThat(again.mode()).isEqualTo(Mode.DRAINING);
        assertThat(again.deadline()).isEqualTo(DEADLINE);
        assertThat(again.handBackDue(DEADLINE)).isTrue();
    }

    @Test
    void undrainingMakesADrainingOrDrainedWorkerActiveWithoutDeadline() {
        Drain draining = Drain.active().onDrain(DEADLINE, 1);

        assertThat(draining.onUndrain()).isEqualTo(Drain.active());
        assertThat(draining.onTick(0).onUndrain()).isEqualTo(Drain.active());
        assertThat(draining.onUndrain().handBackDue(DEADLINE.plusSeconds(1))).isFalse();
    }

    @Test
    void eachModeHasItsWireState() {
        assertThat(Mode.ACTIVE.wire()).isEqualTo("active");
        assertThat(Mode.DRAINING.wire()).isEqualTo("draining");
        assertThat(Mode.DRAINED.wire()).isEqualTo("drained");
    }
}

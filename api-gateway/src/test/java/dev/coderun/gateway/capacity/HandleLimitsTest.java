package dev.coderun.gateway.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class HandleLimitsTest {

    private final CapacityProperties capacity = new CapacityProperties(8, 10000);

    @Test
    void countsAreShownAgainstTheSchedulersLimitsAndDailyWritesAddRunsAndRuntimeWrites() {
        HandleLimits limits = HandleLimits.of(
                new HandleLimits.Usage(3, 12, 40, 2), capacity, Instant.parse("2026-11-25T23:59:59.999Z"));

        assertThat(limits.activeRuns()).isEqualTo(3);
        assertThat(limits.maxActiveRuns()).isEqualTo(8);
        assertThat(limits.queuedRuns()).isEqualTo(12);
        assertThat(limits.maxQueuedRuns()).isEqualTo(10000);
        assertThat(limits.dailyWrites().used()).isEqualTo(42);
        assertThat(limits.dailyWrites().limit()).as("no quota is enforced yet").isNull();
        assertThat(limits.dailyWrites().resetsAt()).isEqualTo(Instant.parse("2026-11-26T00:00:00Z"));
    }

    @Test
    void theDayIsTheUtcDay() {
        assertThat(HandleLimits.dayStart(Instant.parse("2026-11-25T00:00:00Z")))
                .isEqualTo(Instant.parse("2026-11-25T00:00:00Z"));
        assertThat(HandleLimits.dayStart(Instant.parse("2026-11-25T13:14:15Z")))
                .isEqualTo(Instant.parse("2026-11-25T00:00:00Z"));
    }

    @Test
    void limitsTheSchedulerCouldNotHaveAreRefusedAtStartup() {
        assertThatThrownBy(() -> new CapacityProperties(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CapacityProperties(1, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}

package dev.coderun.gateway.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.gateway.quota.DailyWriteQuota;
import dev.coderun.gateway.ratelimit.RateBudget;
import dev.coderun.gateway.ratelimit.RouteClass;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HandleLimitsTest {

    private final CapacityProperties capacity = new CapacityProperties(8, 10000);
    private final DailyWriteQuota.Usage writes =
            new DailyWriteQuota.Usage(42, 1000, Instant.parse("2026-11-26T00:00:00Z"));

    @Test
    void countsAreShownAgainstTheSchedulersLimitsAndTheDailyQuota() {
        HandleLimits limits = HandleLimits.of(new HandleLimits.Usage(3, 12), capacity, writes, null);

        assertThat(limits.activeRuns()).isEqualTo(3);
        assertThat(limits.maxActiveRuns()).isEqualTo(8);
        assertThat(limits.queuedRuns()).isEqualTo(12);
        assertThat(limits.maxQueuedRuns()).isEqualTo(10000);
        assertThat(limits.dailyWrites())
                .isEqualTo(new HandleLimits.DailyWrites(42, 1000, Instant.parse("2026-11-26T00:00:00Z")));
        assertThat(limits.rateLimits()).as("rate limiting off").isNull();
    }

    @Test
    void theTokensBucketsAreShownByClassNameInClassOrder() {
        Map<RouteClass, RateBudget> rates = Map.of(
                RouteClass.STREAMS, new RateBudget(100, 100, 0),
                RouteClass.EXEC, new RateBudget(200, 200, 0),
                RouteClass.WRITES, new RateBudget(2000, 1990, 1),
                RouteClass.READS, new RateBudget(2000, 1999, 1));

        HandleLimits limits = HandleLimits.of(new HandleLimits.Usage(0, 0), capacity, writes, rates);

        assertThat(limits.rateLimits()).containsExactly(
                Map.entry("reads", new RateBudget(2000, 1999, 1)),
                Map.entry("writes", new RateBudget(2000, 1990, 1)),
                Map.entry("exec", new RateBudget(200, 200, 0)),
                Map.entry("streams", new RateBudget(100, 100, 0)));
    }

    @Test
    void limitsTheSchedulerCouldNotHaveAreRefusedAtStartup() {
        assertThatThrownBy(() -> new CapacityProperties(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CapacityProperties(1, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}

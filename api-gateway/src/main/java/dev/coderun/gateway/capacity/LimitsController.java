package dev.coderun.gateway.capacity;

import dev.coderun.gateway.api.Envelopes;
import java.time.Clock;
import java.time.Instant;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v2/handles/{handle}/limits} (scope {@code runs:read}): active and queued runs with the scheduler's
 * limits, and today's writes, so a client can check its room before submitting. Counted from the read model, which
 * follows the scheduler's events: a moment behind it, never ahead.
 */
@RestController
class LimitsController {

    private final PostgresUsageRepository usage;
    private final CapacityProperties capacity;
    private final Clock clock = Clock.systemUTC();

    LimitsController(PostgresUsageRepository usage, CapacityProperties capacity) {
        this.usage = usage;
        this.capacity = capacity;
    }

    @GetMapping("/v2/handles/{handle}/limits")
    Mono<Envelopes.Data<HandleLimits>> limits(@PathVariable String handle) {
        Instant now = clock.instant();
        return usage.usage(handle, HandleLimits.dayStart(now))
                .map(counts -> Envelopes.data(HandleLimits.of(counts, capacity, now)));
    }
}

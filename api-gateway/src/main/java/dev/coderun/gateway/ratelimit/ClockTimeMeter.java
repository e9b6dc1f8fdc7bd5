package dev.coderun.gateway.ratelimit;

import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Instant;

/**
 * bucket4j's clock read from the gateway's {@link Clock} bean: wall-clock time, the same on every gateway instance
 * (bucket state in PostgreSQL is stamped by whichever instance touched it last), and controllable in tests.
 */
record ClockTimeMeter(Clock clock) implements TimeMeter {

    @Override
    public long currentTimeNanos() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Override
    public boolean isWallClockBased() {
        return true;
    }
}

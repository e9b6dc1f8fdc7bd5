package dev.coderun.gateway.quota;

import dev.coderun.gateway.api.ApiException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The per-handle daily write quota ({@link QuotaProperties#dailyWrites()}), counted in PostgreSQL per UTC day so every
 * gateway instance draws on one count. A write is reserved before it happens and given back when it does not
 * happen (a publish that failed, a runtime change refused), so the count is of writes that took effect. Over the
 * quota a write is 429 {@code quota_exceeded} with {@code Retry-After} until the next UTC midnight. The day is read
 * from the gateway's {@link Clock}.
 */
@Component
public class DailyWriteQuota {

    private final PostgresDailyWrites counts;
    private final QuotaProperties properties;
    private final Clock clock;
    private final Counter rejections;

    DailyWriteQuota(PostgresDailyWrites counts, QuotaProperties properties, Clock clock, MeterRegistry meters) {
        this.counts = counts;
        this.properties = properties;
        this.clock = clock;
        this.rejections = Counter.builder("coderun.quota.rejections")
                .description("writes refused quota_exceeded: runs submitted and runtime changes over the daily quota")
                .register(meters);
    }

    /**
     * What a reservation got.
     *
     * @param day the UTC day the writes count against (a give-back goes to the same day)
     * @param granted how many of the writes asked for fit: the first {@code granted} may go ahead, the rest are refused
     *     with {@link #refusal()}
     * @param untilReset how long until the next UTC day starts the count again
     */
    public record Grant(String handle, LocalDate day, int granted, Duration untilReset) {

        /** The error a write over the quota answers. */
        public ApiException refusal() {
            return exceeded(untilReset);
        }
    }

    /** The handle's writes today against the quota. */
    public record Usage(long used, long limit, Instant resetsAt) {}

    /** Reserves up to {@code count} writes for {@code handle} today; as many as fit are granted, in order. */
    public Mono<Grant> reserve(String handle, int count) {
        Instant now = clock.instant();
        LocalDate day = dayOf(now);
        Duration untilReset = Duration.between(now, nextDay(now));
        if (count == 0) {
            return Mono.just(new Grant(handle, day, 0, untilReset));
        }
        return counts.reserve(handle, day, count, properties.dailyWrites())
                .map(reserved -> new Grant(handle, day, Math.toIntExact(reserved.granted()), untilReset))
                // Every write not granted is refused quota_exceeded by the caller.
                .doOnNext(grant -> rejections.increment(count - grant.granted()));
    }

    /** Gives back {@code count} writes of {@code grant} that did not happen. */
    public Mono<Void> giveBack(Grant grant, int count) {
        return count == 0 ? Mono.empty() : counts.giveBack(grant.handle(), grant.day(), count);
    }

    /**
     * Runs {@code write} as one write of {@code handle}: refused with 429 {@code quota_exceeded} when today's quota is
     * used up, given back when {@code write} fails.
     */
    public <T> Mono<T> charge(String handle, Mono<T> write) {
        return reserve(handle, 1).flatMap(grant -> grant.granted() == 0
                ? Mono.error(grant.refusal())
                : write.onErrorResume(e -> giveBack(grant, 1).onErrorResume(ignored -> Mono.empty())
                        .then(Mono.error(e))));
    }

    /** The handle's writes so far today, its quota, and when the count starts again. */
    public Mono<Usage> usage(String handle) {
        Instant now = clock.instant();
        return counts.used(handle, dayOf(now))
                .map(used -> new Usage(used, properties.dailyWrites(), nextDay(now)));
    }

    /** Deletes the counts of days before yesterday (a give-back may still reach yesterday's). */
    Mono<Long> purgeOldDays() {
        return counts.purgeBefore(dayOf(clock.instant()).minusDays(1));
    }

    static ApiException exceeded(Duration untilReset) {
        return ApiException.quotaExceeded(
                "the handle has used its daily write quota; it starts again at the next UTC midnight", untilReset);
    }

    /** The UTC day {@code now} falls in. */
    static LocalDate dayOf(Instant now) {
        return LocalDate.ofInstant(now, ZoneOffset.UTC);
    }

    /** The next UTC midnight after {@code now}. */
    static Instant nextDay(Instant now) {
        return dayOf(now).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}

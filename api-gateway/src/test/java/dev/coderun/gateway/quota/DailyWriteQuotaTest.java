package dev.coderun.gateway.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

class DailyWriteQuotaTest {

    @Test
    void theDayIsTheUtcDayAndItEndsAtTheNextUtcMidnight() {
        assertThat(DailyWriteQuota.dayOf(Instant.parse("2026-11-25T00:00:00Z"))).isEqualTo(LocalDate.of(2026, 11, 25));
        assertThat(DailyWriteQuota.dayOf(Instant.parse("2026-11-25T23:59:59.999Z")))
                .isEqualTo(LocalDate.of(2026, 11, 25));
        assertThat(DailyWriteQuota.nextDay(Instant.parse("2026-11-25T13:14:15Z")))
                .isEqualTo(Instant.parse("2026-11-26T00:00:00Z"));
        assertThat(DailyWriteQuota.nextDay(Instant.parse("2026-11-25T00:00:00Z")))
                .isEqualTo(Instant.parse("2026-11-26T00:00:00Z"));
    }

    @Test
    void overTheQuotaIs429QuotaExceededUntilTheNextDay() {
        var error = new DailyWriteQuota.Grant("alice", LocalDate.of(2026, 11, 25), 0, Duration.ofSeconds(3600))
                .refusal();

        assertThat(error.status().value()).isEqualTo(429);
        assertThat(error.code()).isEqualTo("quota_exceeded");
        assertThat(error.retryAfter()).isEqualTo(Duration.ofSeconds(3600));
    }
}

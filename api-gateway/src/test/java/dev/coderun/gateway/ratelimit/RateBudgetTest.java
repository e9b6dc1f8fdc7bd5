package dev.coderun.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;

class RateBudgetTest {

    @Test
    void secondsAreRoundedUpSoAClientThatWaitsThemFindsWhatItWaitsFor() {
        assertThat(RateBudget.ceilSeconds(0)).isZero();
        assertThat(RateBudget.ceilSeconds(1)).isEqualTo(1);
        assertThat(RateBudget.ceilSeconds(999_999_999)).isEqualTo(1);
        assertThat(RateBudget.ceilSeconds(1_000_000_000)).isEqualTo(1);
        assertThat(RateBudget.ceilSeconds(1_000_000_001)).isEqualTo(2);
    }

    @Test
    void anAllowedRequestShowsWhatIsLeftAndWhenTheBucketIsFull() {
        RateBudget.Verdict verdict = PostgresRateLimiter.verdict(10, ConsumptionProbe.consumed(7, 2_500_000_000L));

        assertThat(verdict.allowed()).isTrue();
        assertThat(verdict.budget()).isEqualTo(new RateBudget(10, 7, 3));
    }

    @Test
    void aRefusedRequestSaysHowLongUntilTheNextToken() {
        RateBudget.Verdict verdict =
                PostgresRateLimiter.verdict(3, ConsumptionProbe.rejected(0, 400_000_000L, 2_400_000_000L));

        assertThat(verdict.allowed()).isFalse();
        assertThat(verdict.retryAfter()).isEqualTo(Duration.ofMillis(400));
        assertThat(verdict.budget()).isEqualTo(new RateBudget(3, 0, 3));
    }

    @Test
    void aFullBucketResetsInZeroSeconds() {
        assertThat(PostgresRateLimiter.budget(5, EstimationProbe.canBeConsumed(5))).isEqualTo(new RateBudget(5, 5, 0));
        assertThat(PostgresRateLimiter.budget(5, EstimationProbe.canNotBeConsumed(2, 1_500_000_000L)))
                .isEqualTo(new RateBudget(5, 2, 2));
    }

    @Test
    void theHeadersCarryTheBudget() {
        HttpHeaders headers = new HttpHeaders();
        new RateBudget(600, 599, 1).writeTo(headers);

        assertThat(headers.getFirst("RateLimit-Limit")).isEqualTo("600");
        assertThat(headers.getFirst("RateLimit-Remaining")).isEqualTo("599");
        assertThat(headers.getFirst("RateLimit-Reset")).isEqualTo("1");
    }
}

package dev.coderun.gateway.ratelimit;

import java.time.Duration;
import org.springframework.http.HttpHeaders;

/**
 * What one of a token's buckets holds, as the {@code RateLimit-*} headers and {@code GET .../limits} show it.
 *
 * @param limit the bucket's capacity: the most requests of its class in a burst ({@code RateLimit-Limit})
 * @param remaining requests the token may still make at once ({@code RateLimit-Remaining})
 * @param resetSeconds whole seconds, rounded up, until the bucket is full again ({@code RateLimit-Reset}); 0 when it
 *     is full
 */
public record RateBudget(long limit, long remaining, long resetSeconds) {

    public static final String LIMIT_HEADER = "RateLimit-Limit";
    public static final String REMAINING_HEADER = "RateLimit-Remaining";
    public static final String RESET_HEADER = "RateLimit-Reset";

    /** Sets the three {@code RateLimit-*} headers. */
    public void writeTo(HttpHeaders headers) {
        headers.set(LIMIT_HEADER, String.valueOf(limit));
        headers.set(REMAINING_HEADER, String.valueOf(remaining));
        headers.set(RESET_HEADER, String.valueOf(resetSeconds));
    }

    /** Whole seconds in {@code nanos}, rounded up, so a client that waits them finds what it waits for. */
    static long ceilSeconds(long nanos) {
        return nanos <= 0 ? 0 : (nanos - 1) / 1_000_000_000L + 1;
    }

    /**
     * The outcome of taking one request from a bucket.
     *
     * @param retryAfter null when the request was allowed; otherwise how long until the bucket holds one again
     */
    public record Verdict(RateBudget budget, Duration retryAfter) {

        public boolean allowed() {
            return retryAfter == null;
        }
    }
}

package dev.convexpipeline.convex;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How {@link ConvexClient} retries transient failures (5xx, 429, timeouts, refused connections):
 * at most {@code maxAttempts} tries in total, sleeping an exponentially growing, jittered delay
 * between them, so a restarting deployment is not hit by every caller at the same instant.
 *
 * @param maxAttempts total attempts including the first (1 disables retries)
 * @param baseBackoff delay before the second attempt, doubled for every further one
 * @param maxBackoff  upper bound of the computed delay
 */
public record RetryPolicy(int maxAttempts, Duration baseBackoff, Duration maxBackoff) {
    /** A server's {@code Retry-After} is honoured up to this, so one odd header cannot park a caller for hours. */
    static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(2);

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        Objects.requireNonNull(baseBackoff, "baseBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (baseBackoff.isNegative() || maxBackoff.compareTo(baseBackoff) < 0) {
            throw new IllegalArgumentException("need 0 <= baseBackoff <= maxBackoff, got " + baseBackoff + " / " + maxBackoff);
        }
    }

    /** Five attempts, 200 ms doubling to at most 5 s: rides out a backend restart of a few seconds. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(5, Duration.ofMillis(200), Duration.ofSeconds(5));
    }

    public static RetryPolicy noRetries() {
        return new RetryPolicy(1, Duration.ZERO, Duration.ZERO);
    }

    /**
     * Delay before attempt {@code nextAttempt} (2 for the first retry): "equal jitter", i.e. a random
     * value between half and all of {@code min(maxBackoff, baseBackoff * 2^(nextAttempt-2))}. A
     * server-sent {@code Retry-After} wins when it asks for longer.
     */
    public Duration delayBefore(int nextAttempt, Duration retryAfter) {
        long capMillis = maxBackoff.toMillis();
        long exp = Math.min(30, Math.max(0, nextAttempt - 2));
        long computed = Math.min(capMillis, baseBackoff.toMillis() * (1L << exp));
        long half = computed / 2;
        long jittered = half + (computed - half == 0 ? 0 : ThreadLocalRandom.current().nextLong(computed - half + 1));
        Duration delay = Duration.ofMillis(jittered);
        if (retryAfter != null && retryAfter.compareTo(delay) > 0) {
            delay = retryAfter.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : retryAfter;
        }
        return delay;
    }
}

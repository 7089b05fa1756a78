package dev.convexpipeline.retry;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one retry policy of the pipeline: the Convex client, reconcile's Stripe client and backup
 * attempts all retry transient failures with it. At most {@code maxAttempts} tries in total,
 * sleeping an exponentially growing, jittered delay between them (so instances that failed together
 * do not retry in step), or longer when the server's {@code Retry-After} asks for it.
 *
 * <p>Which failures are transient stays with each caller (a Convex 5xx, Stripe's
 * {@code Stripe-Should-Retry}, a broken backup stream); this class decides how often and how long.
 *
 * @param maxAttempts   total attempts including the first (1 disables retries)
 * @param baseBackoff   delay before the second attempt, doubled for every further one
 * @param maxBackoff    upper bound of the computed delay
 * @param maxRetryAfter a server's {@code Retry-After} is honoured up to this, so one odd header cannot park a caller
 */
public record RetryPolicy(int maxAttempts, Duration baseBackoff, Duration maxBackoff, Duration maxRetryAfter) {
    /** The bound on {@code Retry-After} unless a caller sets its own. */
    public static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(2);

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        Objects.requireNonNull(baseBackoff, "baseBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(maxRetryAfter, "maxRetryAfter");
        if (baseBackoff.isNegative() || maxBackoff.compareTo(baseBackoff) < 0) {
            throw new IllegalArgumentException("need 0 <= baseBackoff <= maxBackoff, got " + baseBackoff + " / " + maxBackoff);
        }
    }

    public RetryPolicy(int maxAttempts, Duration baseBackoff, Duration maxBackoff) {
        this(maxAttempts, baseBackoff, maxBackoff, MAX_RETRY_AFTER);
    }

    /** Five attempts, 200 ms doubling to at most 5 s: rides out a backend restart of a few seconds. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(5, Duration.ofMillis(200), Duration.ofSeconds(5));
    }

    public static RetryPolicy noRetries() {
        return new RetryPolicy(1, Duration.ZERO, Duration.ZERO);
    }

    /** The same policy with at most {@code attempts} attempts and computed delays of at most {@code backoff}. */
    public RetryPolicy atMost(int attempts, Duration backoff) {
        Duration cap = maxBackoff.compareTo(backoff) > 0 ? backoff : maxBackoff;
        Duration base = baseBackoff.compareTo(cap) > 0 ? cap : baseBackoff;
        return new RetryPolicy(Math.min(maxAttempts, attempts), base, cap, maxRetryAfter);
    }

    /** The same policy honouring a server's {@code Retry-After} up to {@code bound}. */
    public RetryPolicy withMaxRetryAfter(Duration bound) {
        return new RetryPolicy(maxAttempts, baseBackoff, maxBackoff, bound);
    }

    /** Whether another attempt may follow attempt {@code attempt} (1 for the first). */
    public boolean allowsAttemptAfter(int attempt) {
        return attempt < maxAttempts;
    }

    /**
     * Delay before attempt {@code nextAttempt} (2 for the first retry): "equal jitter", i.e. a random
     * value between half and all of {@code min(maxBackoff, baseBackoff * 2^(nextAttempt-2))}. A
     * server-sent {@code Retry-After} (null when none) wins when it asks for longer, up to {@code maxRetryAfter}.
     */
    public Duration delayBefore(int nextAttempt, Duration retryAfter) {
        long capMillis = maxBackoff.toMillis();
        long exp = Math.min(30, Math.max(0, nextAttempt - 2));
        long computed = Math.min(capMillis, multiply(baseBackoff.toMillis(), 1L << exp));
        long half = computed / 2;
        long jittered = half + (computed - half == 0 ? 0 : ThreadLocalRandom.current().nextLong(computed - half + 1));
        Duration delay = Duration.ofMillis(jittered);
        if (retryAfter != null && retryAfter.compareTo(delay) > 0) {
            delay = retryAfter.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : retryAfter;
        }
        return delay;
    }

    /** Sleeps {@code delay}; an interrupt is kept on the thread and rethrown. */
    public static void pause(Duration delay) throws InterruptedException {
        if (!delay.isZero() && !delay.isNegative()) {
            Thread.sleep(delay.toMillis());
        }
    }

    private static long multiply(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
    }
}

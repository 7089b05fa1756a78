package dev.convexpipeline.reconcile;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Spaces requests evenly: at most {@code requestsPerSecond}, one every {@code 1/rate} seconds, with
 * no burst after an idle spell (Stripe counts requests per second, and a burst is what it answers
 * 429 to). Threads reserve consecutive slots, so concurrent callers are paced together.
 */
final class RequestPacer {
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private long nextFreeSlot;

    RequestPacer(double requestsPerSecond) {
        this(requestsPerSecond, System::nanoTime);
    }

    RequestPacer(double requestsPerSecond, LongSupplier nanoClock) {
        if (!(requestsPerSecond > 0)) {
            throw new IllegalArgumentException("rate limit must be above 0 requests per second, got " + requestsPerSecond);
        }
        this.intervalNanos = (long) (TimeUnit.SECONDS.toNanos(1) / requestsPerSecond);
        this.nanoClock = nanoClock;
        this.nextFreeSlot = nanoClock.getAsLong();
    }

    /** Takes the next free slot and returns how long the caller must wait for it (zero when it is free now). */
    synchronized Duration reserve() {
        long now = nanoClock.getAsLong();
        long slot = Math.max(nextFreeSlot, now);
        nextFreeSlot = slot + intervalNanos;
        return Duration.ofNanos(slot - now);
    }

    /** Waits for the next free slot. */
    void acquire() {
        Duration wait = reserve();
        if (!wait.isZero()) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait.toNanos());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

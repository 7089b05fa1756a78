package dev.convexpipeline.reconcile;

import java.time.Duration;
import java.util.function.Function;

/**
 * Reconcile's settings from config/application.properties (each documented in the README's
 * configuration table). {@link #toString()} never shows the Stripe key.
 *
 * @param stripeSecretKey    {@code stripe.secret-key}: the API key reconcile reads Stripe with
 * @param stripeApiBase      Stripe API base URL (a local fake in tests and the sandbox)
 * @param rateLimitPerSecond client-side pace of Stripe requests, every attempt counted
 * @param maxAttempts        attempts per Stripe request before the run gives up (and is recorded failed)
 * @param initialBackoff     first retry delay when Stripe gives no Retry-After (doubles, with jitter)
 * @param maxBackoff         largest computed retry delay (a longer Retry-After from Stripe is still honoured)
 * @param lease              a running run that has not checked in for this long is taken to be dead and is resumed
 * @param eventsLookback     how far back missed events are fetched when no run has completed (Stripe keeps 30 days)
 * @param eventsOverlap      events are fetched from this long before the last completed run's start (clock skew)
 * @param stripeTimeout      connect and read timeout of one Stripe request
 */
public record ReconcileSettings(String stripeSecretKey, String stripeApiBase, double rateLimitPerSecond,
                                int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration lease,
                                Duration eventsLookback, Duration eventsOverlap, Duration stripeTimeout) {
    /** Stripe's Events API keeps 30 days. */
    public static final Duration MAX_EVENTS_LOOKBACK = Duration.ofDays(30);

    public ReconcileSettings {
        if (rateLimitPerSecond <= 0) {
            throw new IllegalArgumentException("reconcile.stripe-rate-limit must be > 0, got " + rateLimitPerSecond);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("reconcile.stripe-max-attempts must be >= 1, got " + maxAttempts);
        }
        if (eventsLookback.compareTo(MAX_EVENTS_LOOKBACK) > 0) {
            eventsLookback = MAX_EVENTS_LOOKBACK;
        }
    }

    public static ReconcileSettings from(Function<String, String> property) {
        return new ReconcileSettings(
                value(property, "stripe.secret-key", ""),
                value(property, "reconcile.stripe-api-base", "https://api.stripe.com"),
                Double.parseDouble(value(property, "reconcile.stripe-rate-limit", "20")),
                Integer.parseInt(value(property, "reconcile.stripe-max-attempts", "8")),
                Duration.ofMillis(Long.parseLong(value(property, "reconcile.stripe-retry-initial-backoff-ms", "500"))),
                Duration.ofMillis(Long.parseLong(value(property, "reconcile.stripe-retry-max-backoff-ms", "30000"))),
                Duration.ofMillis(Long.parseLong(value(property, "reconcile.lease-ms", "300000"))),
                Duration.ofMillis(Long.parseLong(value(property, "reconcile.events-lookback-ms", "2592000000"))),
                Duration.ofMillis(Long.parseLong(value(property, "reconcile.events-overlap-ms", "300000"))),
                Duration.ofMillis(Long.parseLong(value(property, "reconcile.stripe-timeout-ms", "30000"))));
    }

    public ReconcileSettings withApiBase(String base) {
        return new ReconcileSettings(stripeSecretKey, base, rateLimitPerSecond, maxAttempts, initialBackoff, maxBackoff,
                lease, eventsLookback, eventsOverlap, stripeTimeout);
    }

    private static String value(Function<String, String> property, String key, String fallback) {
        String value = property.apply(key);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    @Override
    public String toString() {
        return "ReconcileSettings[stripeSecretKey=<" + (stripeSecretKey.isBlank() ? "unset" : "redacted")
                + ">, stripeApiBase=" + stripeApiBase + ", rateLimitPerSecond=" + rateLimitPerSecond
                + ", maxAttempts=" + maxAttempts + ", initialBackoff=" + initialBackoff + ", maxBackoff=" + maxBackoff
                + ", lease=" + lease + ", eventsLookback=" + eventsLookback + ", eventsOverlap=" + eventsOverlap
                + ", stripeTimeout=" + stripeTimeout + "]";
    }
}

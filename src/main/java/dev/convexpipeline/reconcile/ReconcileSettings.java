package dev.convexpipeline.reconcile;

import dev.convexpipeline.app.SettingsSource;

import java.time.Duration;

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

    public static ReconcileSettings from(SettingsSource settings) {
        return new ReconcileSettings(
                settings.text("stripe.secret-key"),
                settings.text("reconcile.stripe-api-base"),
                settings.decimal("reconcile.stripe-rate-limit"),
                settings.integer("reconcile.stripe-max-attempts"),
                settings.millis("reconcile.stripe-retry-initial-backoff-ms"),
                settings.millis("reconcile.stripe-retry-max-backoff-ms"),
                settings.millis("reconcile.lease-ms"),
                settings.millis("reconcile.events-lookback-ms"),
                settings.millis("reconcile.events-overlap-ms"),
                settings.millis("reconcile.stripe-timeout-ms"));
    }

    public ReconcileSettings withApiBase(String base) {
        return new ReconcileSettings(stripeSecretKey, base, rateLimitPerSecond, maxAttempts, initialBackoff, maxBackoff,
                lease, eventsLookback, eventsOverlap, stripeTimeout);
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

package dev.convexpipeline.stripe;

import dev.convexpipeline.app.SettingsSource;

import java.time.Duration;

/**
 * The Stripe capability's settings ({@code stripe.*}, {@code housekeeping.*}), each documented in the
 * README's configuration table; the Convex deployment is {@link dev.convexpipeline.convex.ConvexSettings}.
 * {@link #toString()} never shows a secret.
 */
public record StripeSettings(String webhookSecrets, Duration signatureTolerance, long maxBodyBytes, String tierMapping,
                             Duration eventRetention, Duration challengeRetention, String housekeepingCron,
                             int housekeepingBatchSize, int dedupeCacheSize, Duration rejectionSummaryInterval) {

    public static StripeSettings from(SettingsSource settings) {
        return new StripeSettings(
                settings.text("stripe.webhook-secret"),
                Duration.ofSeconds(settings.number("stripe.signature-tolerance-seconds")),
                settings.number("stripe.webhook-max-body-bytes"),
                settings.text("stripe.tier-mapping"),
                settings.millis("stripe.event-retention-ms"),
                settings.millis("housekeeping.auth-challenge-retention-ms"),
                settings.text("housekeeping.cron"),
                settings.integer("housekeeping.batch-size"),
                settings.integer("stripe.dedupe-cache-size"),
                positive(settings.duration("stripe.webhook-rejection-summary-interval"),
                        "stripe.webhook-rejection-summary-interval"));
    }

    private static Duration positive(Duration duration, String key) {
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(key + " must be a positive duration such as 30s or 1m, got " + duration);
        }
        return duration;
    }

    @Override
    public String toString() {
        return "StripeSettings[webhookSecrets=<" + (webhookSecrets.isBlank() ? "unset" : "redacted") + ">, signatureTolerance="
                + signatureTolerance + ", maxBodyBytes=" + maxBodyBytes + ", tierMapping=" + tierMapping
                + ", eventRetention=" + eventRetention + ", challengeRetention=" + challengeRetention
                + ", housekeepingCron=" + housekeepingCron + ", housekeepingBatchSize=" + housekeepingBatchSize
                + ", dedupeCacheSize=" + dedupeCacheSize + ", rejectionSummaryInterval=" + rejectionSummaryInterval + "]";
    }
}

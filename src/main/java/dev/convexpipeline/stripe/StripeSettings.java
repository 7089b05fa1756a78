package dev.convexpipeline.stripe;

import dev.convexpipeline.backup.BackupSettings;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.RetryPolicy;

import java.net.URI;
import java.time.Duration;
import java.util.function.Function;

/**
 * The Stripe capability's settings, read from config/application.properties (each documented in
 * the README's configuration table). {@link #toString()} never shows a secret.
 */
public record StripeSettings(String webhookSecrets, Duration signatureTolerance, long maxBodyBytes, String tierMapping,
                             Duration eventRetention, Duration challengeRetention, String housekeepingCron,
                             int housekeepingBatchSize, int dedupeCacheSize, ConvexClientConfig convex,
                             Duration rejectionSummaryInterval) {

    /** Reads every setting through {@code property} (a resolved-placeholder lookup returning null when unset). */
    public static StripeSettings from(Function<String, String> property) {
        String adminKey = value(property, "convex.admin-key", "");
        ConvexClientConfig convex = adminKey.isBlank() ? null : new ConvexClientConfig(
                URI.create(value(property, "convex.url", "http://127.0.0.1:3210")), adminKey,
                Duration.ofMillis(Long.parseLong(value(property, "convex.connect-timeout-ms", "5000"))),
                Duration.ofMillis(Long.parseLong(value(property, "convex.request-timeout-ms", "30000"))),
                new RetryPolicy(Integer.parseInt(value(property, "convex.max-attempts", "5")),
                        Duration.ofMillis(Long.parseLong(value(property, "convex.retry-initial-backoff-ms", "200"))),
                        Duration.ofMillis(Long.parseLong(value(property, "convex.retry-max-backoff-ms", "5000")))),
                ConvexClientConfig.DEFAULT_CLIENT_NAME);
        return new StripeSettings(
                value(property, "stripe.webhook-secret", ""),
                Duration.ofSeconds(Long.parseLong(value(property, "stripe.signature-tolerance-seconds", "300"))),
                Long.parseLong(value(property, "stripe.webhook-max-body-bytes", "1048576")),
                value(property, "stripe.tier-mapping", ""),
                Duration.ofMillis(Long.parseLong(value(property, "stripe.event-retention-ms", "2592000000"))),
                Duration.ofMillis(Long.parseLong(value(property, "housekeeping.auth-challenge-retention-ms", "3600000"))),
                value(property, "housekeeping.cron", "0 17 * * * ?"),
                Integer.parseInt(value(property, "housekeeping.batch-size", "500")),
                Integer.parseInt(value(property, "stripe.dedupe-cache-size", "100000")),
                convex,
                positive(BackupSettings.duration(value(property, "stripe.webhook-rejection-summary-interval", "1m"),
                        "stripe.webhook-rejection-summary-interval"), "stripe.webhook-rejection-summary-interval"));
    }

    private static Duration positive(Duration duration, String key) {
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(key + " must be a positive duration such as 30s or 1m, got " + duration);
        }
        return duration;
    }

    private static String value(Function<String, String> property, String key, String fallback) {
        String value = property.apply(key);
        return value == null ? fallback : value.trim();
    }

    @Override
    public String toString() {
        return "StripeSettings[webhookSecrets=<" + (webhookSecrets.isBlank() ? "unset" : "redacted") + ">, signatureTolerance="
                + signatureTolerance + ", maxBodyBytes=" + maxBodyBytes + ", tierMapping=" + tierMapping
                + ", eventRetention=" + eventRetention + ", challengeRetention=" + challengeRetention
                + ", housekeepingCron=" + housekeepingCron + ", rejectionSummaryInterval=" + rejectionSummaryInterval
                + ", convex=" + convex + "]";
    }
}

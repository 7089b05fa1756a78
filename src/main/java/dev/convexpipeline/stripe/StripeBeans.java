package dev.convexpipeline.stripe;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.retry.RetryPolicy;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;

/**
 * Creates the Stripe capability's beans and binds them by the names routes/stripe-webhook.camel.yaml
 * and routes/admin.camel.yaml use. Called by {@code PipelineBeans} with the settings and the
 * process's Convex client; returns the instances reconcile shares, so nothing is looked up by name.
 */
public final class StripeBeans {
    private static final Logger LOG = LoggerFactory.getLogger(StripeBeans.class);
    /** How long a delivery waits for a concurrent delivery of the same event on this instance. */
    private static final Duration CLAIM_WAIT = Duration.ofSeconds(20);
    /**
     * Stripe gives up on a webhook after roughly 20 s; every retry of ours must fit in that window, so
     * a hanging Convex still gets a 503 (and Stripe's own retry) rather than a dropped connection.
     */
    static final Duration MAX_CONVEX_REQUEST_TIMEOUT = Duration.ofSeconds(5);
    static final int MAX_CONVEX_ATTEMPTS = 3;
    static final Duration MAX_CONVEX_BACKOFF = Duration.ofSeconds(1);

    /** What reconcile reuses: it maps subscriptions and translates missed events with these same instances. */
    public record Shared(StripeMetrics metrics, SubscriptionEntitlementMapper mapper, StripeEventTranslator translator) {
    }

    private StripeBeans() {
    }

    /** The webhook's view of the shared client: its attempts and timeouts fit Stripe's delivery window. Null stays null. */
    static ConvexClient withinStripeTimeout(ConvexClient shared) {
        return shared == null ? null : shared.withLimits(
                new RetryPolicy(MAX_CONVEX_ATTEMPTS, Duration.ZERO, MAX_CONVEX_BACKOFF), MAX_CONVEX_REQUEST_TIMEOUT);
    }

    /** @param convex the process's Convex client, null without an admin key (webhooks are then answered 503) */
    public static Shared bind(CamelContext camelContext, StripeSettings settings, ConvexClient convex) {
        StripeMetrics metrics = new StripeMetrics(camelContext);
        if (convex == null) {
            LOG.warn("convex.admin-key (CONVEX_SERVICE_TOKEN) is not set: Stripe webhooks will be answered 503 until it is");
        }
        StripeEventLedger ledger = new StripeEventLedger(withinStripeTimeout(convex), metrics);
        WebhookSignatureVerifier verifier = WebhookSignatureVerifier.fromConfig(settings.webhookSecrets(),
                settings.signatureTolerance());
        if (!verifier.isConfigured()) {
            LOG.warn("STRIPE_WEBHOOK_SECRET is not set: Stripe webhooks will be answered 503 until it is");
        }
        SubscriptionEntitlementMapper mapper = new SubscriptionEntitlementMapper(TierMapping.parse(settings.tierMapping()));
        StripeEventTranslator translator = new StripeEventTranslator(mapper);
        ConvexEventLedgerRepository repository = new ConvexEventLedgerRepository(ledger, settings.dedupeCacheSize(), CLAIM_WAIT);

        // Camel's platform-http engine, except that the webhook gets a form-encoded body as the bytes received.
        camelContext.getRegistry().bind("platform-http-engine", new RawBodyPlatformHttpEngine());
        camelContext.getRegistry().bind("stripeMetrics", metrics);
        camelContext.getRegistry().bind("stripeEventTranslator", translator);
        camelContext.getRegistry().bind("subscriptionEntitlementMapper", mapper);
        camelContext.getRegistry().bind("stripeEventLedgerRepository", repository);
        camelContext.getRegistry().bind("stripeWebhook",
                new StripeWebhook(verifier, translator, ledger, metrics, settings.maxBodyBytes(),
                        settings.rejectionSummaryInterval()));
        camelContext.getRegistry().bind("stripeOperations", new StripeOperations(ledger, translator, repository));
        camelContext.getRegistry().bind("stripeHousekeeping", new StripeHousekeeping(ledger, metrics,
                settings.eventRetention(), settings.challengeRetention(), settings.housekeepingBatchSize(), 100,
                Clock.systemUTC()));
        return new Shared(metrics, mapper, translator);
    }
}

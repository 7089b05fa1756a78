package dev.convexpipeline.stripe;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.RetryPolicy;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;

/**
 * Creates the Stripe capability's beans from config/application.properties and binds them by the
 * names routes/stripe-webhook.camel.yaml and routes/admin.camel.yaml use. Listed in
 * {@code camel.main.configuration-classes}. Built in one place because the beans depend on each other.
 */
public class StripeBeans implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(StripeBeans.class);
    /** How long a delivery waits for a concurrent delivery of the same event on this instance. */
    private static final Duration CLAIM_WAIT = Duration.ofSeconds(20);
    /**
     * Stripe gives up on a webhook after roughly 20 s; every retry of ours must fit in that window, so
     * a hanging Convex still gets a 503 (and Stripe's own retry) rather than a dropped connection.
     */
    static final Duration MAX_CONVEX_REQUEST_TIMEOUT = Duration.ofSeconds(5);
    static final int MAX_CONVEX_ATTEMPTS = 3;

    static ConvexClientConfig withinStripeTimeout(ConvexClientConfig config) {
        RetryPolicy retries = config.retryPolicy();
        RetryPolicy capped = new RetryPolicy(Math.min(retries.maxAttempts(), MAX_CONVEX_ATTEMPTS), retries.baseBackoff(),
                retries.maxBackoff().compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1) : retries.maxBackoff());
        Duration request = config.requestTimeout().compareTo(MAX_CONVEX_REQUEST_TIMEOUT) > 0
                ? MAX_CONVEX_REQUEST_TIMEOUT : config.requestTimeout();
        Duration connect = config.connectTimeout().compareTo(request) > 0 ? request : config.connectTimeout();
        return config.withRetryPolicy(capped).withTimeouts(connect, request);
    }

    @Override
    public void configure(CamelContext camelContext) throws Exception {
        StripeSettings settings = StripeSettings.from(key ->
                camelContext.getPropertiesComponent().resolveProperty(key).orElse(null));
        StripeMetrics metrics = new StripeMetrics(camelContext);
        ConvexClient convex = settings.convex() == null ? null : new ConvexClient(withinStripeTimeout(settings.convex()));
        if (convex == null) {
            LOG.warn("convex.admin-key (CONVEX_SERVICE_TOKEN) is not set: Stripe webhooks will be answered 503 until it is");
        } else {
            camelContext.addService(new ServiceSupport() {
                @Override
                protected void doStop() {
                    convex.close();
                }
            });
        }
        StripeEventLedger ledger = new StripeEventLedger(convex, metrics);
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
        // Reconcile (dev.convexpipeline.reconcile) maps subscriptions and translates missed events with these same instances.
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
    }
}

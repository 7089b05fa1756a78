package dev.convexpipeline.reconcile;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.stripe.StripeBeans;
import dev.convexpipeline.stripe.StripeEventLedger;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds {@code reconciler} and {@code reconcileOperations} for routes/stripe-reconcile.camel.yaml and
 * routes/admin.camel.yaml. Reuses the Stripe capability's mapper and translator instances and applies
 * events through the same ledger class and {@code stripe:applyEvent} mutation, so reconcile and
 * webhooks share one apply path.
 */
public final class ReconcileBeans {
    private static final Logger LOG = LoggerFactory.getLogger(ReconcileBeans.class);

    private ReconcileBeans() {
    }

    /** @param convex the process's Convex client (null without an admin key: runs then fail with that reason) */
    public static void bind(CamelContext camelContext, ReconcileSettings settings, StripeBeans.Shared stripe,
                            ConvexClient convex) {
        if (settings.stripeSecretKey().isBlank()) {
            LOG.warn("STRIPE_SECRET_KEY is not set: reconcile runs will fail until it is");
        }
        // The shared client with its full retries: the webhook's view caps them to fit Stripe's delivery
        // timeout, which a background run does not have. Same ledger class, same stripe:applyEvent mutation.
        StripeEventLedger ledger = new StripeEventLedger(convex, stripe.metrics());
        Reconciler reconciler = new Reconciler(settings, new ReconcileStore(convex),
                stripe.mapper(), stripe.translator(), ledger, new ReconcileMetrics(stripe.metrics()::registry));
        camelContext.getRegistry().bind("reconciler", reconciler);
        camelContext.getRegistry().bind("reconcileOperations", new ReconcileOperations(reconciler));
    }
}

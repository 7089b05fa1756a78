package dev.convexpipeline.reconcile;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.stripe.StripeEventLedger;
import dev.convexpipeline.stripe.StripeEventTranslator;
import dev.convexpipeline.stripe.StripeMetrics;
import dev.convexpipeline.stripe.StripeSettings;
import dev.convexpipeline.stripe.SubscriptionEntitlementMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds {@code reconcileOperations} for routes/stripe-reconcile.camel.yaml and routes/admin.camel.yaml.
 * Listed after {@code StripeBeans} in {@code camel.main.configuration-classes}: it reuses the Stripe
 * capability's mapper and translator instances and applies events through the same ledger class and
 * {@code stripe:applyEvent} mutation, so reconcile and webhooks share one apply path.
 */
public class ReconcileBeans implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(ReconcileBeans.class);

    @Override
    public void configure(CamelContext camelContext) throws Exception {
        java.util.function.Function<String, String> property = key ->
                camelContext.getPropertiesComponent().resolveProperty(key).orElse(null);
        ReconcileSettings settings = ReconcileSettings.from(property);
        StripeSettings stripeSettings = StripeSettings.from(property);
        SubscriptionEntitlementMapper mapper = required(camelContext, "subscriptionEntitlementMapper", SubscriptionEntitlementMapper.class);
        StripeEventTranslator translator = required(camelContext, "stripeEventTranslator", StripeEventTranslator.class);
        StripeMetrics stripeMetrics = required(camelContext, "stripeMetrics", StripeMetrics.class);
        ConvexClient convex = stripeSettings.convex() == null ? null : new ConvexClient(stripeSettings.convex());
        if (convex != null) {
            camelContext.addService(new ServiceSupport() {
                @Override
                protected void doStop() {
                    convex.close();
                }
            });
        }
        if (settings.stripeSecretKey().isBlank()) {
            LOG.warn("STRIPE_SECRET_KEY is not set: reconcile runs will fail until it is");
        }
        // Its own ledger over reconcile's client: the webhook's client caps retries to fit Stripe's delivery
        // timeout, which a background run does not have. Same class, same stripe:applyEvent mutation.
        StripeEventLedger ledger = new StripeEventLedger(convex, stripeMetrics);
        Reconciler reconciler = new Reconciler(settings, new ReconcileStore(convex),
                mapper, translator, ledger, new ReconcileMetrics(stripeMetrics::registry));
        camelContext.getRegistry().bind("reconciler", reconciler);
        camelContext.getRegistry().bind("reconcileOperations", new ReconcileOperations(reconciler));
    }

    private static <T> T required(CamelContext context, String name, Class<T> type) {
        T bean = context.getRegistry().lookupByNameAndType(name, type);
        if (bean == null) {
            throw new IllegalStateException("bean " + name + " is missing: list dev.convexpipeline.stripe.StripeBeans before "
                    + ReconcileBeans.class.getName() + " in camel.main.configuration-classes");
        }
        return bean;
    }
}

package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.retry.RetryPolicy;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.stripe.StripeEventLedger;
import dev.convexpipeline.stripe.StripeEventTranslator;
import dev.convexpipeline.stripe.StripeMetrics;
import dev.convexpipeline.stripe.SubscriptionEntitlementMapper;
import dev.convexpipeline.stripe.TierMapping;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** An in-process Convex emulator and Stripe fake, and reconcilers wired to them as the pipeline wires them. */
final class ReconcileFixture implements AutoCloseable {
    static final String TIER_MAPPING = "price_basic=basic,lookup:pro_monthly=pro,prod_team=team";
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    static final long DAY = 86_400;

    final ConvexEmulator emulator;
    final FakeStripe stripe;
    final ConvexClient convex;
    private final List<ConvexClient> clients = new ArrayList<>();

    ReconcileFixture() throws Exception {
        emulator = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
        stripe = new FakeStripe();
        convex = client();
    }

    ConvexClient client() {
        ConvexClient client = new ConvexClient(new ConvexClientConfig(URI.create(emulator.url()), emulator.adminKey(),
                Duration.ofSeconds(5), Duration.ofSeconds(30),
                new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(100)), ConvexClientConfig.DEFAULT_CLIENT_NAME));
        clients.add(client);
        return client;
    }

    /** Fast settings for tests: high rate limit, short backoff; tests override what they exercise. */
    ReconcileSettings settings() {
        return new ReconcileSettings(FakeStripe.API_KEY, stripe.apiBase(), 1000, 5, Duration.ofMillis(20),
                Duration.ofMillis(200), Duration.ofMinutes(5), ReconcileSettings.MAX_EVENTS_LOOKBACK,
                Duration.ofMinutes(5), Duration.ofSeconds(30));
    }

    /** A reconciler as one pipeline instance builds it (its own Convex client, so its own owner id). */
    Reconciler reconciler(ReconcileSettings settings) {
        ConvexClient client = client();
        StripeMetrics metrics = StripeMetrics.standalone();
        SubscriptionEntitlementMapper mapper = new SubscriptionEntitlementMapper(TierMapping.parse(TIER_MAPPING));
        return new Reconciler(settings, new ReconcileStore(client), mapper, new StripeEventTranslator(mapper),
                new StripeEventLedger(client, metrics), new ReconcileMetrics(metrics::registry));
    }

    Reconciler reconciler() {
        return reconciler(settings());
    }

    // ---- Convex state -------------------------------------------------------------------------

    String linkedUser(String authSubject, String customer) {
        String id = emulator.runMutation("users:upsert", NODES.objectNode().put("authSubject", authSubject)).textValue();
        emulator.runMutation("users:linkStripeCustomer", NODES.objectNode().put("userId", id).put("stripeCustomerId", customer));
        return id;
    }

    /** An entitlements row as a webhook would have written it, with watermark {@code lastEventCreated}. */
    void entitlement(String userId, String subscription, String customer, String tier, String status, long periodEndSeconds,
                     boolean cancelAtPeriodEnd, long lastEventCreated) {
        ObjectNode row = NODES.objectNode().put("userId", userId).put("tier", tier).put("status", status)
                .put("stripeSubscriptionId", subscription).put("stripeCustomerId", customer)
                .put("cancelAtPeriodEnd", cancelAtPeriodEnd).put("lastEventId", "evt_seed_" + subscription)
                .put("updatedAt", (double) System.currentTimeMillis());
        row.set("currentPeriodEnd", ConvexValues.float64(periodEndSeconds * 1000.0));
        row.set("lastEventCreated", ConvexValues.int64(lastEventCreated));
        emulator.insert("entitlements", row);
    }

    JsonNode entitlement(String subscription) {
        return emulator.runQuery("entitlements:getBySubscription", NODES.objectNode().put("stripeSubscriptionId", subscription));
    }

    /** subscription id → "tier/status/periodEnd/cancel" for every entitlement: the observable outcome of a run. */
    Map<String, String> entitlements() {
        Map<String, String> out = new TreeMap<>();
        emulator.documents("entitlements").forEach(doc -> out.put(doc.path("stripeSubscriptionId").asText(),
                doc.path("tier").asText() + "/" + doc.path("status").asText() + "/"
                        + (long) doc.path("currentPeriodEnd").asDouble() + "/" + doc.path("cancelAtPeriodEnd").asBoolean()));
        return out;
    }

    JsonNode state() {
        return emulator.runQuery("reconcile:getState", NODES.objectNode());
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    @Override
    public void close() {
        clients.forEach(ConvexClient::close);
        stripe.close();
        emulator.close();
    }
}

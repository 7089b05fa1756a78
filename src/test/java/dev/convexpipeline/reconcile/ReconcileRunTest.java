package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.stripe.StripeEvent;
import dev.convexpipeline.stripe.StripeEventLedger;
import dev.convexpipeline.stripe.StripeEventTranslator;
import dev.convexpipeline.stripe.StripeMetrics;
import dev.convexpipeline.stripe.SubscriptionEntitlementMapper;
import dev.convexpipeline.stripe.TierMapping;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.convexpipeline.reconcile.FakeStripe.subscription;
import static dev.convexpipeline.reconcile.ReconcileFixture.DAY;
import static dev.convexpipeline.reconcile.ReconcileFixture.now;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reconcile against the Stripe fake and the Convex emulator: drift repaired, dry run, events, pacing, failure. */
class ReconcileRunTest {
    private ReconcileFixture fx;
    private long period;

    @BeforeEach
    void start() throws Exception {
        fx = new ReconcileFixture();
        period = now() + 20 * DAY;
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    /**
     * One subscription per kind of drift, plus the cases reconcile must leave alone:
     * missing row, wrong tier, wrong status, wrong period end, wrong cancel flag, canceled in Stripe,
     * deleted from Stripe, already right, customer without user, and a row a newer event wrote.
     */
    private void seedEveryKindOfDrift() {
        long t = now() - 10 * DAY;
        String u1 = fx.linkedUser("user-1", "cus_1");
        String u2 = fx.linkedUser("user-2", "cus_2");
        fx.stripe.put(subscription("sub_missing", "cus_1", "active", "price_pro", "pro_monthly", t + 1, period, false));
        fx.stripe.put(subscription("sub_tier", "cus_1", "active", "price_pro", "pro_monthly", t + 2, period, false));
        fx.entitlement(u1, "sub_tier", "cus_1", "basic", "active", period, false, t);
        fx.stripe.put(subscription("sub_status", "cus_1", "past_due", "price_basic", null, t + 3, period, false));
        fx.entitlement(u1, "sub_status", "cus_1", "basic", "active", period, false, t);
        fx.stripe.put(subscription("sub_period", "cus_2", "active", "price_basic", null, t + 4, period + DAY, false));
        fx.entitlement(u2, "sub_period", "cus_2", "basic", "active", period, false, t);
        fx.stripe.put(subscription("sub_cancelflag", "cus_2", "active", "price_basic", null, t + 5, period, true));
        fx.entitlement(u2, "sub_cancelflag", "cus_2", "basic", "active", period, false, t);
        fx.stripe.put(subscription("sub_canceled", "cus_2", "canceled", "price_basic", null, t + 6, period, false));
        fx.entitlement(u2, "sub_canceled", "cus_2", "basic", "active", period, false, t);
        fx.entitlement(u2, "sub_gone", "cus_2", "pro", "active", period, false, t);
        fx.stripe.put(subscription("sub_ok", "cus_2", "active", "price_basic", null, t + 7, period, false));
        fx.entitlement(u2, "sub_ok", "cus_2", "basic", "active", period, false, t);
        fx.stripe.put(subscription("sub_nouser", "cus_unknown", "active", "price_basic", null, t + 8, period, false));
        fx.stripe.put(subscription("sub_newer", "cus_1", "active", "price_basic", null, t + 9, period, false));
        // A webhook applied an event created after reconcile will read the page: its state must stand.
        fx.entitlement(u1, "sub_newer", "cus_1", "pro", "trialing", period, false, now() + 3600);
    }

    @Test
    void driftOfEveryKindIsRepaired() {
        seedEveryKindOfDrift();

        ReconcileReport report = fx.reconciler().run("test", false);

        assertThat(report.status()).isEqualTo("completed");
        Map<String, String> rows = fx.entitlements();
        long ms = period * 1000;
        assertThat(rows).containsEntry("sub_missing", "pro/active/" + ms + "/false")
                .containsEntry("sub_tier", "pro/active/" + ms + "/false")
                .containsEntry("sub_status", "basic/past_due/" + ms + "/false")
                .containsEntry("sub_period", "basic/active/" + (ms + DAY * 1000) + "/false")
                .containsEntry("sub_cancelflag", "basic/active/" + ms + "/true")
                .containsEntry("sub_canceled", "basic/canceled/" + ms + "/false")
                .containsEntry("sub_gone", "pro/canceled/" + ms + "/false")
                .containsEntry("sub_ok", "basic/active/" + ms + "/false")
                .containsEntry("sub_newer", "pro/trialing/" + ms + "/false")
                .doesNotContainKey("sub_nouser");
        assertThat(report.count("subscriptionsSeen")).isEqualTo(9);
        assertThat(fx.stripe.expandedPrices()).as("listed with expand[]=data.items.data.price").isEqualTo(9);
        assertThat(report.count("created")).isEqualTo(1);
        assertThat(report.count("updated")).isEqualTo(4);
        assertThat(report.count("revoked")).isEqualTo(2);
        assertThat(report.count("unchanged")).isEqualTo(1);
        assertThat(report.count("unmatched")).isEqualTo(1);
        assertThat(report.count("skippedNewer")).isEqualTo(1);
        assertThat(report.count("errors")).isZero();
        // The reconcile write carries the page's watermark, so a late older event is stale against it.
        JsonNode repaired = fx.entitlement("sub_tier");
        assertThat(repaired.path("lastEventId").asText()).isEqualTo("reconcile:" + report.runId());
        assertThat(repaired.path("lastEventCreated").asLong()).isBetween(now() - 60, now());

        JsonNode state = fx.state();
        assertThat(state.path("status").asText()).isEqualTo("completed");
        assertThat(state.path("lastCompletedReport").path("created").asLong()).isEqualTo(1);
        assertThat(fx.emulator.documents("stripe_reconcile_seen")).as("seen markers pruned after the run").isEmpty();

        ReconcileReport again = fx.reconciler().run("test", false);
        assertThat(again.count("created") + again.count("updated") + again.count("revoked")).as("nothing left to fix").isZero();
        assertThat(fx.entitlements()).isEqualTo(rows);
    }

    @Test
    void dryRunChangesNothingAndReportsTheDriftItWouldFix() {
        seedEveryKindOfDrift();
        Map<String, String> before = fx.entitlements();
        List<ObjectNode> stateBefore = fx.emulator.documents("stripe_reconcile_state");

        ReconcileReport dry = fx.reconciler().run("test", true);

        assertThat(dry.status()).isEqualTo("completed");
        assertThat(dry.dryRun()).isTrue();
        assertThat(fx.entitlements()).isEqualTo(before);
        assertThat(fx.emulator.documents("stripe_reconcile_state")).isEqualTo(stateBefore);
        assertThat(fx.emulator.documents("stripe_events")).isEmpty();
        assertThat(dry.driftListed()).extracting(ReconcileReport.Drift::stripeSubscriptionId)
                .contains("sub_missing", "sub_tier", "sub_status", "sub_period", "sub_cancelflag", "sub_canceled", "sub_gone");
        assertThat(dry.driftListed()).filteredOn(d -> d.stripeSubscriptionId().equals("sub_tier"))
                .singleElement().satisfies(d -> assertThat(d.changes()).contains("tier basic→pro"));

        ReconcileReport real = fx.reconciler().run("test", false);
        assertThat(real.count("created")).isEqualTo(dry.count("created"));
        assertThat(real.count("revoked")).isEqualTo(dry.count("revoked"));
        // The dry run cannot know that a newer event wins inside the mutation: it lists that one as an update.
        assertThat(real.count("updated") + real.count("skippedNewer")).isEqualTo(dry.count("updated"));
    }

    @Test
    void missedEventsAreReplayedOnceThroughTheWebhookApplyPath() {
        String user = fx.linkedUser("user-1", "cus_1");
        long created = now() - 3600;
        ObjectNode upgraded = subscription("sub_ev", "cus_1", "active", "price_pro", "pro_monthly", created - 100, period, false);
        fx.entitlement(user, "sub_ev", "cus_1", "basic", "active", period, false, created - 100);
        fx.stripe.addEvent(FakeStripe.event("evt_missed", "customer.subscription.updated", created, upgraded));
        ObjectNode delivered = FakeStripe.event("evt_delivered", "invoice.paid", created - 50,
                fx.NODES.objectNode().put("id", "in_1").put("object", "invoice").put("customer", "cus_1")
                        .put("subscription", "sub_ev"));
        fx.stripe.addEvent(delivered);
        fx.stripe.addEvent(FakeStripe.event("evt_old", "customer.subscription.updated", now() - 40 * DAY, upgraded));
        // evt_delivered already came by webhook: same ledger, same mutation.
        StripeMetrics metrics = StripeMetrics.standalone();
        StripeEventLedger ledger = new StripeEventLedger(fx.convex, metrics);
        StripeEvent webhookCopy = StripeEvent.parse(delivered.toString().getBytes(StandardCharsets.UTF_8));
        ledger.apply(webhookCopy, new StripeEventTranslator(new SubscriptionEntitlementMapper(
                TierMapping.parse(ReconcileFixture.TIER_MAPPING))).translate(webhookCopy), false);
        // Stripe lists the subscription as the event left it: the page pass then finds nothing left to fix.
        fx.stripe.put(upgraded);

        ReconcileReport first = fx.reconciler().run("test", false);

        assertThat(first.count("eventsSeen")).as("30 days back at most").isEqualTo(2);
        assertThat(first.count("eventsReplayed")).isEqualTo(1);
        assertThat(first.count("eventsAlreadyApplied")).isEqualTo(1);
        assertThat(fx.entitlement("sub_ev").path("tier").asText()).isEqualTo("pro");
        assertThat(fx.entitlement("sub_ev").path("lastEventId").asText()).as("the event wrote it; the page found nothing left")
                .isEqualTo("evt_missed");
        assertThat(fx.emulator.documents("stripe_events")).extracting(doc -> doc.path("eventId").asText())
                .containsExactlyInAnyOrder("evt_missed", "evt_delivered");
        assertThat(fx.stripe.eventQueries()).as("the run listed events").isNotEmpty().allSatisfy(q -> assertThat(q).contains("created[gt]=")
                .contains("customer.subscription.updated").contains("invoice.paid"));

        ReconcileReport second = fx.reconciler().run("test", false);
        assertThat(second.count("eventsReplayed")).as("nothing is applied twice").isZero();
        assertThat(fx.emulator.documents("stripe_events")).hasSize(2);
    }

    @Test
    void eventsRecordedUnmatchedApplyOnceTheAppHasLinkedTheirCustomer() {
        long created = now() - 600;
        ObjectNode sub = subscription("sub_late", "cus_late", "active", "price_pro", "pro_monthly", created - 100, period, false);
        ObjectNode event = FakeStripe.event("evt_before_link", "customer.subscription.created", created, sub);
        StripeEvent webhookCopy = StripeEvent.parse(event.toString().getBytes(StandardCharsets.UTF_8));
        StripeEventLedger ledger = new StripeEventLedger(fx.convex, StripeMetrics.standalone());
        assertThat(ledger.apply(webhookCopy, new StripeEventTranslator(new SubscriptionEntitlementMapper(
                TierMapping.parse(ReconcileFixture.TIER_MAPPING))).translate(webhookCopy), false).outcome()).isEqualTo("unmatched");
        // The app links the customer itself (no checkout event): nothing applies the pending event yet.
        fx.linkedUser("user-late", "cus_late");
        fx.stripe.put(sub);

        ReconcileReport report = fx.reconciler().run("test", false);

        assertThat(report.count("eventsReplayed")).isEqualTo(1);
        assertThat(report.count("unchanged")).as("the event already wrote what Stripe lists").isEqualTo(1);
        assertThat(fx.entitlement("sub_late").path("lastEventId").asText()).isEqualTo("evt_before_link");
        assertThat(fx.emulator.runQuery("stripe:getEvent", ReconcileFixture.NODES.objectNode().put("eventId", "evt_before_link"))
                .path("outcome").asText()).isEqualTo("applied");
    }

    @Test
    void throttlingStormsSlowTheRunButItFinishes() {
        seedEveryKindOfDrift();
        for (int i = 0; i < 250; i++) {
            fx.stripe.put(subscription("sub_bulk_" + i, "cus_2", "active", "price_basic", null, now() - 20 * DAY + i, period, false));
        }
        fx.stripe.inject(FakeStripe.Fault.throttle("1"), FakeStripe.Fault.throttle("1"), FakeStripe.Fault.serverError(),
                FakeStripe.Fault.PASS, FakeStripe.Fault.throttle(null), FakeStripe.Fault.throttle("0"),
                FakeStripe.Fault.serverError(), FakeStripe.Fault.PASS, FakeStripe.Fault.throttle("1"));
        ReconcileSettings paced = new ReconcileSettings(FakeStripe.API_KEY, fx.stripe.apiBase(), 5, 5, Duration.ofMillis(50),
                Duration.ofMillis(400), Duration.ofMinutes(5), ReconcileSettings.MAX_EVENTS_LOOKBACK, Duration.ofMinutes(5),
                Duration.ofSeconds(30));

        long start = System.nanoTime();
        ReconcileReport report = fx.reconciler(paced).run("test", false);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(report.status()).isEqualTo("completed");
        assertThat(report.count("subscriptionsSeen")).isEqualTo(259);
        assertThat(report.count("created")).isEqualTo(251);
        assertThat(fx.stripe.throttled()).isEqualTo(5);
        assertThat(report.count("stripeRetries")).isEqualTo(7);
        assertThat(report.count("stripeRequests")).isEqualTo(fx.stripe.requests());
        // Three Retry-After: 1 waits, and 5 requests/s for the rest.
        assertThat(took).isGreaterThan(Duration.ofSeconds(3));
        assertThat(fx.entitlements()).containsEntry("sub_tier", "pro/active/" + period * 1000 + "/false");
    }

    @Test
    void theClientSideRateLimitPacesEveryRequest() {
        for (int i = 0; i < 1000; i++) {
            fx.stripe.put(subscription(String.format("sub_%04d", i), "cus_x", "active", "price_basic", null,
                    now() - DAY + i, period, false));
        }
        ReconcileSettings tenPerSecond = new ReconcileSettings(FakeStripe.API_KEY, fx.stripe.apiBase(), 10, 5,
                Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofMinutes(5), ReconcileSettings.MAX_EVENTS_LOOKBACK,
                Duration.ofMinutes(5), Duration.ofSeconds(30));

        long start = System.nanoTime();
        ReconcileReport report = fx.reconciler(tenPerSecond).run("test", false);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(report.status()).isEqualTo("completed");
        assertThat(fx.stripe.requests()).as("1 event page + 10 subscription pages").isEqualTo(11);
        assertThat(took).as("11 requests at 10/s (the first permit is immediate)").isGreaterThanOrEqualTo(Duration.ofMillis(950));
    }

    @Test
    void aRunThatGivesUpIsRecordedFailedNeverComplete() {
        seedEveryKindOfDrift();
        fx.reconciler().run("test", false);
        JsonNode completed = fx.state();
        for (int i = 0; i < 10; i++) {
            fx.stripe.inject(FakeStripe.Fault.throttle("0"));
        }

        ReconcileReport report = fx.reconciler().run("test", false);

        assertThat(report.status()).isEqualTo("failed");
        assertThat(report.error()).contains("rate limit");
        JsonNode state = fx.state();
        assertThat(state.path("status").asText()).isEqualTo("failed");
        assertThat(state.path("error").asText()).contains("rate limit");
        assertThat(state.path("lastCompletedRunId").asText()).isEqualTo(completed.path("lastCompletedRunId").asText());
        assertThat(fx.stripe.throttled()).as("5 attempts, then it gave up").isEqualTo(5);
    }

    @Test
    void stripeShouldRetryFalseIsNotRetried() {
        fx.stripe.inject(new FakeStripe.Fault(500, Map.of("Stripe-Should-Retry", "false")));
        ReconcileReport report = fx.reconciler().run("test", false);
        assertThat(report.status()).isEqualTo("failed");
        assertThat(report.count("stripeRetries")).isZero();
    }

    @Test
    void aSecondTriggerWhileARunIsInProgressIsRefused() throws Exception {
        seedEveryKindOfDrift();
        var reached = fx.stripe.holdSubscriptionsPage(1);
        Reconciler first = fx.reconciler();
        Thread running = new Thread(() -> first.run("test", false));
        running.start();
        assertThat(reached.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

        assertThatThrownBy(() -> fx.reconciler().run("test", false))
                .isInstanceOf(ReconcileStore.RunInProgressException.class)
                .hasMessageContaining("already in progress").hasMessageContaining(first.owner());
        assertThatThrownBy(() -> first.run("test", false))
                .isInstanceOf(ReconcileStore.RunInProgressException.class).hasMessageContaining("on this instance");

        fx.stripe.release();
        running.join(30_000);
        assertThat(fx.state().path("status").asText()).isEqualTo("completed");
    }
}

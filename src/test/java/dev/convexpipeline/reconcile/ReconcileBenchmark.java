package dev.convexpipeline.reconcile;

import java.io.PrintWriter;
import java.time.Duration;

import static dev.convexpipeline.reconcile.FakeStripe.subscription;
import static dev.convexpipeline.reconcile.ReconcileFixture.DAY;
import static dev.convexpipeline.reconcile.ReconcileFixture.now;

/**
 * Reconciles N subscriptions (default 10,000) against the Stripe fake and the in-process Convex
 * emulator, at the production pace (20 Stripe requests/s unless {@code --rate}), and prints the
 * duration, the Stripe requests made and the Convex calls made. The data has drift of every kind:
 * 10% rows missing, 10% wrong tier, 5% wrong status, 2% canceled in Stripe, 10 rows whose
 * subscription Stripe no longer has, and 250 missed events. README, "Reconcile", shows how to run it.
 */
public final class ReconcileBenchmark {
    private ReconcileBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int subscriptions = 10_000;
        double rate = 20;
        int events = 250;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--subscriptions" -> subscriptions = Integer.parseInt(args[++i]);
                case "--rate" -> rate = Double.parseDouble(args[++i]);
                case "--events" -> events = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("usage: ReconcileBenchmark [--subscriptions N] [--rate R] [--events E]");
            }
        }
        PrintWriter out = new PrintWriter(System.out, true);
        try (ReconcileFixture fx = new ReconcileFixture()) {
            long base = now();
            long period = base + 20 * DAY;
            int customers = Math.max(1, subscriptions / 10);
            String[] users = new String[customers];
            for (int c = 0; c < customers; c++) {
                users[c] = fx.linkedUser("bench-user-" + c, "cus_" + c);
            }
            for (int i = 0; i < subscriptions; i++) {
                String id = String.format("sub_%06d", i);
                String customer = "cus_" + (i % customers);
                boolean pro = i % 2 == 0;
                String status = i % 50 == 0 ? "canceled" : "active";
                fx.stripe.put(subscription(id, customer, status, pro ? "price_pro" : "price_basic", pro ? "pro_monthly" : null,
                        base - 60 * DAY + i, period, false));
                String user = users[i % customers];
                if (i % 10 == 0) {
                    continue;
                }
                String tier = i % 10 == 1 ? (pro ? "basic" : "pro") : (pro ? "pro" : "basic");
                String rowStatus = i % 20 == 2 ? "past_due" : "active";
                fx.entitlement(user, id, customer, tier, rowStatus, period, false, base - 2 * DAY);
            }
            for (int g = 0; g < 10; g++) {
                fx.entitlement(users[g % customers], "sub_gone_" + g, "cus_" + (g % customers), "pro", "active", period, false,
                        base - 2 * DAY);
            }
            for (int e = 0; e < events; e++) {
                String id = String.format("sub_%06d", (e * 37) % subscriptions);
                fx.stripe.addEvent(FakeStripe.event(String.format("evt_%06d", e), "customer.subscription.updated",
                        base - DAY + e, subscription(id, "cus_" + (((e * 37) % subscriptions) % customers), "active",
                                "price_basic", null, base - 60 * DAY, period, false)));
            }
            fx.stripe.resetCounters();
            ReconcileSettings settings = new ReconcileSettings(FakeStripe.API_KEY, fx.stripe.apiBase(), rate, 8,
                    Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofMinutes(5), ReconcileSettings.MAX_EVENTS_LOOKBACK,
                    Duration.ofMinutes(5), Duration.ofSeconds(30));
            Reconciler reconciler = fx.reconciler(settings);

            long start = System.nanoTime();
            ReconcileReport report = reconciler.run("benchmark", false);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            out.printf("subscriptions          %d (%d events to replay, rate limit %.0f req/s)%n", subscriptions, events, rate);
            out.printf("status                 %s%n", report.status());
            out.printf("duration               %.2f s%n", took.toMillis() / 1000.0);
            out.printf("stripe requests        %d (subscription pages %d, event pages %d, re-fetches %d, 429s %d)%n",
                    fx.stripe.requests(), fx.stripe.subscriptionListRequests(), fx.stripe.eventListRequests(),
                    fx.stripe.retrieveRequests(), fx.stripe.throttled());
            out.printf("convex calls           %d%n", report.count("convexCalls"));
            out.printf("created/updated/revoked/unchanged  %d/%d/%d/%d, events replayed %d%n", report.count("created"),
                    report.count("updated"), report.count("revoked"), report.count("unchanged"), report.count("eventsReplayed"));
            out.println(report.summary());
        }
    }
}

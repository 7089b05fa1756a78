package dev.convexpipeline.reconcile;

import dev.convexpipeline.testing.CapturedLogs;
import org.junit.jupiter.api.Test;


import static dev.convexpipeline.reconcile.FakeStripe.subscription;
import static dev.convexpipeline.reconcile.ReconcileFixture.DAY;
import static dev.convexpipeline.reconcile.ReconcileFixture.now;
import static org.assertj.core.api.Assertions.assertThat;

/** A run, its retries and its failure log neither the Stripe key nor the Convex admin key, even at DEBUG. */
class ReconcileSecretsTest {

    @Test
    void stripeKeyAndAdminKeyNeverReachTheLog() throws Exception {
        CapturedLogs logs = new CapturedLogs();
        String adminKey;
        try (ReconcileFixture fx = new ReconcileFixture()) {
            adminKey = fx.emulator.adminKey();
            String user = fx.linkedUser("user-1", "cus_1");
            fx.stripe.put(subscription("sub_1", "cus_1", "active", "price_pro", "pro_monthly", now() - DAY, now() + DAY, false));
            fx.entitlement(user, "sub_gone", "cus_1", "pro", "active", now() + DAY, false, now() - DAY);
            fx.stripe.inject(FakeStripe.Fault.throttle("0"), FakeStripe.Fault.serverError());
            assertThat(fx.reconciler().run("test", false).status()).isEqualTo("completed");
            fx.stripe.inject(new FakeStripe.Fault(500, java.util.Map.of("Stripe-Should-Retry", "false")));
            assertThat(fx.reconciler().run("test", false).status()).isEqualTo("failed");
        } finally {
            logs.close();
        }
        String text = logs.text();
        assertThat(text).contains("Reconcile run").contains("failed");
        assertThat(text).doesNotContain(FakeStripe.API_KEY).doesNotContain(adminKey.substring(adminKey.indexOf('|') + 1));
    }
}

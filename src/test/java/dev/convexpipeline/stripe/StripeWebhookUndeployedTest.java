package dev.convexpipeline.stripe;

import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.testing.CapturedLogs;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a team sees before deploying the Convex functions (a backend like `emulator --bare`): every
 * webhook is answered 503 so Stripe keeps it, and the log says why, with the command that fixes it,
 * once rather than once per event.
 */
class StripeWebhookUndeployedTest {
    @Test
    void webhooksAre503AndTheReasonIsLoggedOnce() throws Exception {
        try (ConvexEmulator bare = ConvexEmulator.bare(ConvexEmulator.Config.ephemeral()).start();
             CapturedLogs logs = new CapturedLogs();
             PipelineRuntime pipeline = StripeFixture.pipeline(bare.url(), bare.adminKey(), Map.of())) {
            long now = StripeFixture.now();
            for (int i = 0; i < 3; i++) {
                byte[] event = StripeFixture.event("evt_undeployed_" + i, "customer.subscription.updated", now,
                        StripeFixture.subscription("sub_" + i, "cus_1", "active", "price_basic", now + 86_400, false));
                HttpResponse<String> response = StripeFixture.send(pipeline, event);
                assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
            }
            assertThat(logs.text().lines().filter(line -> line.contains("npx convex deploy")))
                    .as("the reason, with the deploy command, is logged once for the three events").hasSize(1)
                    .first().asString().contains("stripe:applyEvent");
            assertThat(logs.text().lines().filter(line -> line.startsWith("WARN") && line.contains("not processed")))
                    .as("no per-event warning repeats it").isEmpty();
        }
    }
}

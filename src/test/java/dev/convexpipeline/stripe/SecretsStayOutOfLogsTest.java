package dev.convexpipeline.stripe;

import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.testing.CapturedLogs;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.convexpipeline.stripe.StripeFixture.event;
import static dev.convexpipeline.stripe.StripeFixture.now;
import static dev.convexpipeline.stripe.StripeFixture.post;
import static dev.convexpipeline.stripe.StripeFixture.send;
import static dev.convexpipeline.stripe.StripeFixture.subscription;
import static org.assertj.core.api.Assertions.assertThat;

/** Start-up, rejections, unmatched events and a Convex outage log nothing secret and no payload. */
class SecretsStayOutOfLogsTest {

    @Test
    void webhookSecretAdminKeyAndPayloadsNeverReachTheLog() throws Exception {
        CapturedLogs logs = new CapturedLogs();
        String adminKey;
        try (ConvexEmulator emulator = StripeFixture.emulator()) {
            adminKey = emulator.adminKey();
            try (PipelineRuntime pipeline = StripeFixture.pipeline(emulator, Map.of())) {
                long t = now();
                byte[] body = event("evt_logs_1", "customer.subscription.created", t,
                        subscription("sub_logs", "cus_nobody_knows", "active", "price_basic", t + 1000, false));
                post(pipeline, body, StripeTestSigner.header(body, "whsec_wrong"));
                send(pipeline, body);
                emulator.close();
                send(pipeline, event("evt_logs_2", "customer.subscription.updated", t, "{\"id\":\"sub_logs\"}"));
            }
        } finally {
            logs.close();
        }
        String text = logs.text();
        assertThat(text).contains("evt_logs_1").contains("unmatched").contains("evt_logs_2");
        assertThat(text).doesNotContain(StripeFixture.SECRET).doesNotContain(adminKey.substring(adminKey.indexOf('|') + 1))
                .doesNotContain("\"items\"");
    }
}

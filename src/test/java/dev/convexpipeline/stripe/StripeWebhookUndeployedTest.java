package dev.convexpipeline.stripe;

import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.testing.CapturedLogs;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
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
            List<String> operatorLog = recordsAtInfoOrAbove(logs.text());
            assertThat(operatorLog).filteredOn(entry -> entry.contains("npx convex deploy"))
                    .as("the reason, with the deploy command, is logged once for the three events").hasSize(1)
                    .first().asString().contains("stripe:applyEvent");
            assertThat(operatorLog).filteredOn(entry -> entry.contains("not processed"))
                    .as("no per-event warning repeats it").isEmpty();
        }
    }

    /** Log records (a message may span lines) an operator sees at the default INFO level. */
    private static List<String> recordsAtInfoOrAbove(String text) {
        List<String> records = new ArrayList<>();
        StringBuilder current = null;
        for (String line : text.split("\n")) {
            if (line.matches("(TRACE|DEBUG|INFO|WARN|ERROR) .*")) {
                if (current != null) {
                    records.add(current.toString());
                }
                current = new StringBuilder(line);
            } else if (current != null) {
                current.append('\n').append(line);
            }
        }
        if (current != null) {
            records.add(current.toString());
        }
        return records.stream().filter(record -> !record.startsWith("TRACE") && !record.startsWith("DEBUG")).toList();
    }
}

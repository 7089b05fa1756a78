package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.convexpipeline.stripe.StripeFixture.NODES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class StripeHousekeepingTest {
    private static final long DAY = 86_400_000L;

    @Test
    void quartzRunPrunesOnlyWhatIsOldInBoundedBatches() throws Exception {
        try (ConvexEmulator emulator = StripeFixture.emulator()) {
            long now = System.currentTimeMillis();
            for (int i = 0; i < 5; i++) {
                ledgerRow(emulator, "evt_old_" + i, now - 31 * DAY - i);
            }
            ledgerRow(emulator, "evt_recent", now - 29 * DAY);
            ledgerRow(emulator, "evt_new", now);
            challenge(emulator, "auth_challenges", now - 2 * 3_600_000L);
            challenge(emulator, "auth_challenges", now - 30 * 60_000L);
            challenge(emulator, "auth_challenges", now + 60_000L);
            challenge(emulator, "evm_challenges", now - 3 * 3_600_000L);
            challenge(emulator, "evm_challenges", now + 60_000L);

            // Every second, two documents per batch: the five old events need three batches.
            try (PipelineRuntime pipeline = StripeFixture.pipeline(emulator, Map.of(
                    "housekeeping.cron", "* * * * * ?", "housekeeping.batch-size", "2"))) {
                await("housekeeping done").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                        .until(() -> emulator.documents("stripe_events").size() <= 2
                                && emulator.documents("auth_challenges").size() <= 2
                                && emulator.documents("evm_challenges").size() <= 1);
                assertThat(StripeFixture.metrics(pipeline)).contains("stripe_housekeeping_deleted_total{table=\"stripe_events\"} 5.0");
            }
            assertThat(emulator.documents("stripe_events").stream().map(d -> d.path("eventId").asText()))
                    .containsExactlyInAnyOrder("evt_recent", "evt_new");
            assertThat(expiries(emulator.documents("auth_challenges"))).containsExactlyInAnyOrder(now - 30 * 60_000.0, now + 60_000.0);
            assertThat(expiries(emulator.documents("evm_challenges"))).containsExactly(now + 60_000.0);
        }
    }

    static void ledgerRow(ConvexEmulator emulator, String eventId, long processedAt) {
        ObjectNode row = NODES.objectNode().put("eventId", eventId).put("type", "invoice.paid").put("livemode", false)
                .put("processedAt", (double) processedAt).put("outcome", "applied").put("attention", false);
        row.set("created", ConvexValues.int64(processedAt / 1000));
        row.putNull("reason");
        emulator.insert("stripe_events", row);
    }

    static void challenge(ConvexEmulator emulator, String table, long expiresAt) {
        emulator.insert(table, NODES.objectNode().put("challenge", "c").put("subject", "s").put("expiresAt", (double) expiresAt));
    }

    private static List<Double> expiries(List<ObjectNode> docs) {
        return docs.stream().map(d -> d.path("expiresAt").asDouble()).toList();
    }
}

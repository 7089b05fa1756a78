package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.testing.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.convexpipeline.stripe.StripeFixture.admin;
import static dev.convexpipeline.stripe.StripeFixture.entitlement;
import static dev.convexpipeline.stripe.StripeFixture.event;
import static dev.convexpipeline.stripe.StripeFixture.ledger;
import static dev.convexpipeline.stripe.StripeFixture.linkedUser;
import static dev.convexpipeline.stripe.StripeFixture.now;
import static dev.convexpipeline.stripe.StripeFixture.send;
import static dev.convexpipeline.stripe.StripeFixture.subscription;
import static org.assertj.core.api.Assertions.assertThat;

/** An operator lists the events that need attention and re-applies one once its cause is fixed. */
class StripeOperationsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void unmappedPriceIsReappliedThroughTheAdminApiOnceTheMappingKnowsIt() throws Exception {
        try (ConvexEmulator emulator = StripeFixture.emulator()) {
            linkedUser(emulator, "user|ops", "cus_ops");
            long t = now();
            try (PipelineRuntime before = StripeFixture.pipeline(emulator, Map.of())) {
                send(before, event("evt_ops_unmapped", "customer.subscription.created", t,
                        subscription("sub_ops", "cus_ops", "active", "price_launched_today", t + 1000, false)));
                send(before, event("evt_ops_fine", "customer.subscription.created", t,
                        subscription("sub_ops_2", "cus_ops", "active", "price_basic", t + 1000, false)));
                HttpResponse<String> list = admin(before, "GET", "/admin/stripe/events");
                assertThat(list.statusCode()).isEqualTo(200);
                JsonNode events = JSON.readTree(list.body()).path("events");
                assertThat(events).hasSize(1);
                assertThat(events.get(0).path("eventId").asText()).isEqualTo("evt_ops_unmapped");
                assertThat(events.get(0).path("reapplicable").asBoolean()).isTrue();
                assertThat(JSON.readTree(admin(before, "GET", "/admin/stripe/events?all=true").body()).path("events"))
                        .hasSize(2);
                HttpResponse<String> notNeeded = admin(before, "POST", "/admin/stripe/events/evt_ops_fine/reapply");
                assertThat(notNeeded.statusCode()).isEqualTo(409);
                assertThat(admin(before, "POST", "/admin/stripe/events/evt_nope/reapply").statusCode()).isEqualTo(404);
            }
            try (PipelineRuntime fixed = StripeFixture.pipeline(emulator, Map.of(
                    "stripe.tier-mapping", StripeFixture.TIER_MAPPING + ",price_launched_today=team"))) {
                HttpResponse<String> reapplied = admin(fixed, "POST", "/admin/stripe/events/evt_ops_unmapped/reapply");
                assertThat(reapplied.statusCode()).isEqualTo(200);
                assertThat(reapplied.body()).contains("\"outcome\":\"applied\"");
                assertThat(entitlement(emulator, "sub_ops").path("tier").asText()).isEqualTo("team");
                JsonNode row = ledger(emulator, "evt_ops_unmapped");
                assertThat(row.path("attention").asBoolean()).isFalse();
                assertThat(row.path("payload").isNull()).isTrue();
                assertThat(JSON.readTree(admin(fixed, "GET", "/admin/stripe/events").body()).path("events")).isEmpty();
            }
        }
    }

    @Test
    void failedCheckoutIsListedAndReappliedFromTheCommandLineAfterTheUserExists(@TempDir Path dir) throws Exception {
        try (ConvexEmulator emulator = StripeFixture.emulator();
             PipelineRuntime pipeline = StripeFixture.pipeline(emulator, Map.of())) {
            long t = now();
            send(pipeline, event("evt_cli_checkout", "checkout.session.completed", t,
                    StripeFixture.checkout("cus_cli", "sub_cli", "auth0|signs-up-later")));
            assertThat(ledger(emulator, "evt_cli_checkout").path("outcome").asText()).isEqualTo("failed");
            Path config = dir.resolve("cli.properties");
            Files.writeString(config, Files.readString(Path.of("config/application.properties"))
                    + "\nconvex.url = " + emulator.url() + "\nconvex.admin-key = " + emulator.adminKey()
                    + "\nstripe.tier-mapping = " + StripeFixture.TIER_MAPPING + "\n");

            String listed = run("stripe", "--config", config.toString(), "events");
            assertThat(listed).contains("evt_cli_checkout").contains("failed").contains("auth0|signs-up-later");
            assertThat(run("stripe", "--config", config.toString(), "events", "--json")).contains("\"eventId\" : \"evt_cli_checkout\"");

            String userId = StripeFixture.user(emulator, "auth0|signs-up-later");
            String reapplied = run("stripe", "--config", config.toString(), "reapply", "evt_cli_checkout");
            assertThat(reapplied).contains("evt_cli_checkout: applied");
            assertThat(emulator.documents("users").stream()
                    .filter(u -> u.path("_id").asText().equals(userId))
                    .map(u -> u.path("stripeCustomerId").asText())).containsExactly("cus_cli");
            assertThat(run("stripe", "--config", config.toString(), "events")).contains("No Stripe events need attention");
        }
    }

    private static String run(String... args) {
        CliRun run = CliRun.of(args);
        assertThat(run.exit()).as("exit code; stderr: %s", run.err()).isZero();
        return run.out();
    }
}

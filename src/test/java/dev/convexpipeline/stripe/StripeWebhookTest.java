package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.convexpipeline.stripe.StripeFixture.SECRET;
import static dev.convexpipeline.stripe.StripeFixture.entitlement;
import static dev.convexpipeline.stripe.StripeFixture.event;
import static dev.convexpipeline.stripe.StripeFixture.ledger;
import static dev.convexpipeline.stripe.StripeFixture.linkedUser;
import static dev.convexpipeline.stripe.StripeFixture.now;
import static dev.convexpipeline.stripe.StripeFixture.post;
import static dev.convexpipeline.stripe.StripeFixture.send;
import static dev.convexpipeline.stripe.StripeFixture.subscription;
import static dev.convexpipeline.stripe.StripeFixture.tableCounts;
import static org.assertj.core.api.Assertions.assertThat;

/** The webhook end to end: real HTTP into a real pipeline, Convex emulated, events signed by the test's own HMAC. */
class StripeWebhookTest {
    private static final String OLD_SECRET = "whsec_fixture_previous";
    private static ConvexEmulator emulator;
    private static PipelineRuntime pipeline;

    @BeforeAll
    static void start() throws Exception {
        emulator = StripeFixture.emulator();
        pipeline = StripeFixture.pipeline(emulator, Map.of("stripe.webhook-secret", SECRET + "," + OLD_SECRET));
    }

    @AfterAll
    static void stop() {
        pipeline.close();
        emulator.close();
    }

    @Test
    void everyBadInputGetsItsStatusAndStoresNothing() throws Exception {
        JsonNode before = tableCounts(emulator);
        long now = now();
        byte[] body = event("evt_bad_1", "customer.subscription.updated", now,
                subscription("sub_bad", "cus_bad", "active", "price_basic", now + 3600, false));
        String good = StripeTestSigner.v1(SECRET, now, body);
        byte[] notJson = "this is not json".getBytes(StandardCharsets.UTF_8);
        byte[] notEvent = "{\"hello\":\"world\"}".getBytes(StandardCharsets.UTF_8);
        record Case(String name, byte[] body, String header, int status, String reason) {
        }
        List<Case> cases = List.of(
                new Case("missing header", body, null, 400, "missing_header"),
                new Case("malformed header", body, "nonsense", 400, "malformed_header"),
                new Case("v0 only", body, "t=" + now + ",v0=" + good, 400, "no_v1_signature"),
                new Case("wrong secret", body, StripeTestSigner.header(now, body, "whsec_wrong"), 400, "signature_mismatch"),
                new Case("body changed after signing", body, StripeTestSigner.header(now, event("evt_bad_2",
                        "customer.subscription.updated", now, "{}"), SECRET), 400, "signature_mismatch"),
                new Case("stale timestamp", body, StripeTestSigner.header(now - 330, body, SECRET), 400, "timestamp_too_old"),
                new Case("future timestamp", body, StripeTestSigner.header(now + 330, body, SECRET), 400, "timestamp_in_future"),
                new Case("signed non-JSON", notJson, StripeTestSigner.header(now, notJson, SECRET), 400, "not_an_event"),
                new Case("signed JSON that is no event", notEvent, StripeTestSigner.header(now, notEvent, SECRET), 400, "not_an_event"));
        for (Case c : cases) {
            HttpResponse<String> response = post(pipeline, c.body(), c.header());
            assertThat(response.statusCode()).as(c.name()).isEqualTo(c.status());
            assertThat(response.body()).as(c.name()).contains("\"error\":\"" + c.reason() + "\"").doesNotContain(SECRET);
        }
        byte[] huge = new byte[1024 * 1024 + 1];
        HttpResponse<String> tooLarge = post(pipeline, huge, StripeTestSigner.header(now, huge, SECRET));
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(tooLarge.body()).contains("\"error\":\"body_too_large\"");
        HttpResponse<String> get = StripeFixture.HTTP.send(HttpRequest.newBuilder(StripeFixture.webhookUri(pipeline)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).contains("POST");
        // Whatever the Content-Type, the signature is checked on the bytes sent: signed correctly, the
        // content type is what is refused (415); signed wrongly, it is a signature mismatch (400).
        for (String contentType : List.of("application/x-www-form-urlencoded", "text/plain; charset=utf-8",
                "application/octet-stream", "multipart/form-data; boundary=x")) {
            HttpResponse<String> signed = postAs(contentType, body, StripeTestSigner.header(now, body, SECRET));
            assertThat(signed.statusCode()).as(contentType).isEqualTo(415);
            assertThat(signed.body()).as(contentType).contains("\"error\":\"unsupported_content_type\"")
                    .contains(contentType.split(";")[0]);
            HttpResponse<String> forged = postAs(contentType, body, StripeTestSigner.header(now, body, "whsec_wrong"));
            assertThat(forged.statusCode()).as(contentType).isEqualTo(400);
            assertThat(forged.body()).as(contentType).contains("\"error\":\"signature_mismatch\"");
        }
        // A form body that decodes to fields, or would not decode at all (Vert.x answered that 400 itself
        // and logged an ERROR), still reaches the verifier as the bytes sent.
        for (String form : List.of("a=1&b=%20two", "a=%zz&%")) {
            byte[] formBody = form.getBytes(StandardCharsets.UTF_8);
            assertThat(postAs("application/x-www-form-urlencoded", formBody, StripeTestSigner.header(now, formBody, SECRET))
                    .statusCode()).as(form).isEqualTo(415);
            assertThat(postAs("application/x-www-form-urlencoded", formBody, StripeTestSigner.header(now, formBody, "whsec_wrong"))
                    .statusCode()).as(form).isEqualTo(400);
        }
        assertThat(tableCounts(emulator)).isEqualTo(before);
        assertThat(ledger(emulator, "evt_bad_1").isNull()).isTrue();
        assertThat(StripeFixture.metrics(pipeline))
                .contains("stripe_webhook_signature_failures_total{reason=\"signature_mismatch\"}")
                .contains("stripe_webhook_rejected_total{reason=\"body_too_large\"}")
                .contains("stripe_webhook_rejected_total{reason=\"method_not_allowed\"}")
                .contains("stripe_webhook_rejected_total{reason=\"unsupported_content_type\"}");
    }

    private static HttpResponse<String> postAs(String contentType, byte[] body, String signature) throws Exception {
        return StripeFixture.HTTP.send(HttpRequest.newBuilder(StripeFixture.webhookUri(pipeline))
                .header("Content-Type", contentType).header("Stripe-Signature", signature)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void eitherRotatedSecretIsAccepted() throws Exception {
        long now = now();
        byte[] signedWithOld = event("evt_rot_old", "product.updated", now, "{\"id\":\"prod_1\"}");
        byte[] signedWithBoth = event("evt_rot_both", "product.updated", now, "{\"id\":\"prod_1\"}");
        assertThat(post(pipeline, signedWithOld, StripeTestSigner.header(now, signedWithOld, OLD_SECRET)).statusCode()).isEqualTo(200);
        assertThat(post(pipeline, signedWithBoth, StripeTestSigner.header(now, signedWithBoth, SECRET, OLD_SECRET)).statusCode())
                .isEqualTo(200);
    }

    @Test
    void subscriptionBecomesTheEntitlementAndADuplicateHasNoSecondEffect() throws Exception {
        String userId = linkedUser(emulator, "user|dup", "cus_dup");
        long now = now();
        byte[] created = event("evt_dup_1", "customer.subscription.created", now,
                subscription("sub_dup", "cus_dup", "active", "price_basic", now + 86_400, false));
        HttpResponse<String> first = send(pipeline, created);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).contains("\"outcome\":\"applied\"");
        JsonNode entitlement = entitlement(emulator, "sub_dup");
        assertThat(entitlement.path("userId").asText()).isEqualTo(userId);
        assertThat(entitlement.path("tier").asText()).isEqualTo("basic");
        assertThat(entitlement.path("status").asText()).isEqualTo("active");
        assertThat(entitlement.path("currentPeriodEnd").asDouble()).isEqualTo((now + 86_400) * 1000.0);
        assertThat(entitlement.path("lastEventCreated").isIntegralNumber()).isTrue();

        // Stripe re-signs retries with a fresh timestamp: same event, new signature.
        HttpResponse<String> again = send(pipeline, created);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).contains("\"outcome\":\"duplicate\"");
        assertThat(entitlement(emulator, "sub_dup")).isEqualTo(entitlement);
        assertThat(StripeFixture.ledgerRows(emulator).stream().filter(r -> r.path("eventId").asText().equals("evt_dup_1")))
                .hasSize(1);
    }

    @Test
    void unknownTypeIsRecordedAsIgnoredAndAnswered200() throws Exception {
        HttpResponse<String> response = send(pipeline, event("evt_unknown", "radar.early_fraud_warning.created", now(),
                "{\"id\":\"issfr_1\"}"));
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode row = ledger(emulator, "evt_unknown");
        assertThat(row.path("outcome").asText()).isEqualTo("ignored");
        assertThat(row.path("type").asText()).isEqualTo("radar.early_fraud_warning.created");
        assertThat(row.path("created").isIntegralNumber()).isTrue();
        assertThat(row.path("livemode").asBoolean(true)).isFalse();
        assertThat(row.path("processedAt").isFloatingPointNumber()).isTrue();
    }

    @Test
    void outOfOrderLifecycleEndsInTheNewestState() throws Exception {
        linkedUser(emulator, "user|order", "cus_order");
        long t = now();
        byte[] created = event("evt_ord_created", "customer.subscription.created", t - 20,
                subscription("sub_order", "cus_order", "active", "price_basic", t + 1000, false));
        byte[] updated = event("evt_ord_updated", "customer.subscription.updated", t - 10,
                subscription("sub_order", "cus_order", "active", "price_team_x", t + 2000, true));
        byte[] deleted = event("evt_ord_deleted", "customer.subscription.deleted", t,
                subscription("sub_order", "cus_order", "canceled", "price_basic", t + 2000, false));
        assertThat(send(pipeline, deleted).body()).contains("applied");
        assertThat(send(pipeline, updated).body()).contains("\"outcome\":\"stale\"");
        assertThat(send(pipeline, created).body()).contains("\"outcome\":\"stale\"");
        JsonNode entitlement = entitlement(emulator, "sub_order");
        assertThat(entitlement.path("status").asText()).isEqualTo("canceled");
        assertThat(entitlement.path("lastEventId").asText()).isEqualTo("evt_ord_deleted");
        assertThat(ledger(emulator, "evt_ord_updated").path("reason").asText()).contains("evt_ord_deleted");
    }

    @Test
    void sameSecondActivationWinsOverCreationWhateverTheArrivalOrder() throws Exception {
        linkedUser(emulator, "user|tie", "cus_tie");
        long t = now();
        // Ids chosen so that the id tie-break alone would pick the wrong one.
        byte[] activated = event("evt_tie_a", "customer.subscription.updated", t,
                subscription("sub_tie", "cus_tie", "active", "price_basic", t + 1000, false));
        byte[] incomplete = event("evt_tie_z", "customer.subscription.created", t,
                subscription("sub_tie", "cus_tie", "incomplete", "price_basic", t + 1000, false));
        send(pipeline, activated);
        assertThat(send(pipeline, incomplete).body()).contains("stale");
        assertThat(entitlement(emulator, "sub_tie").path("status").asText()).isEqualTo("active");
    }

    @Test
    void unmatchedCustomerIsAppliedOnceCheckoutLinksIt() throws Exception {
        String userId = StripeFixture.user(emulator, "auth0|linked-later");
        long t = now();
        byte[] sub = event("evt_unm_sub", "customer.subscription.created", t - 5,
                subscription("sub_unm", "cus_unm", "active", "price_x", t + 1000, false).replace(
                        "\"lookup_key\":null", "\"lookup_key\":\"pro_monthly\""));
        HttpResponse<String> first = send(pipeline, sub);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).contains("\"outcome\":\"unmatched\"");
        assertThat(entitlement(emulator, "sub_unm").isNull()).isTrue();
        assertThat(ledger(emulator, "evt_unm_sub").path("attention").asBoolean()).isTrue();

        byte[] checkout = event("evt_unm_checkout", "checkout.session.completed", t,
                StripeFixture.checkout("cus_unm", "sub_unm", "auth0|linked-later"));
        assertThat(send(pipeline, checkout).body()).contains("\"outcome\":\"applied\"");
        JsonNode entitlement = entitlement(emulator, "sub_unm");
        assertThat(entitlement.path("userId").asText()).isEqualTo(userId);
        assertThat(entitlement.path("tier").asText()).isEqualTo("pro");
        JsonNode row = ledger(emulator, "evt_unm_sub");
        assertThat(row.path("outcome").asText()).isEqualTo("applied");
        assertThat(row.path("attention").asBoolean()).isFalse();
        assertThat(row.path("reason").asText()).contains("evt_unm_checkout");
    }

    @Test
    void invoiceEventsMoveTheStatusOfAKnownSubscription() throws Exception {
        linkedUser(emulator, "user|inv", "cus_inv");
        long t = now();
        send(pipeline, event("evt_inv_sub", "customer.subscription.created", t - 10,
                subscription("sub_inv", "cus_inv", "active", "price_basic", t + 1000, false)));
        String failedInvoice = "{\"id\":\"in_1\",\"object\":\"invoice\",\"customer\":\"cus_inv\",\"parent\":"
                + "{\"subscription_details\":{\"subscription\":\"sub_inv\"}}}";
        send(pipeline, event("evt_inv_failed", "invoice.payment_failed", t - 5, failedInvoice));
        assertThat(entitlement(emulator, "sub_inv").path("status").asText()).isEqualTo("past_due");
        send(pipeline, event("evt_inv_paid", "invoice.paid", t, failedInvoice.replace("in_1", "in_2")));
        assertThat(entitlement(emulator, "sub_inv").path("status").asText()).isEqualTo("active");
    }

    @Test
    void unmappedPriceIsRecordedAndCounted() throws Exception {
        linkedUser(emulator, "user|unmapped", "cus_unmapped");
        long t = now();
        send(pipeline, event("evt_unmapped", "customer.subscription.created", t,
                subscription("sub_unmapped", "cus_unmapped", "active", "price_brand_new", t + 1000, false)));
        assertThat(entitlement(emulator, "sub_unmapped").path("tier").asText()).isEqualTo("unmapped");
        JsonNode row = ledger(emulator, "evt_unmapped");
        assertThat(row.path("reason").asText()).contains("price_brand_new");
        assertThat(row.path("attention").asBoolean()).isTrue();
        assertThat(StripeFixture.metrics(pipeline)).contains("stripe_unmapped_prices_total{price=\"price_brand_new\"}");
    }

    @Test
    void customerDeletedEndsItsEntitlementsAndUnlinksTheUser() throws Exception {
        String userId = linkedUser(emulator, "user|gone", "cus_gone");
        long t = now();
        send(pipeline, event("evt_gone_sub", "customer.subscription.created", t - 5,
                subscription("sub_gone", "cus_gone", "active", "price_basic", t + 1000, false)));
        send(pipeline, event("evt_gone", "customer.deleted", t, "{\"id\":\"cus_gone\",\"object\":\"customer\"}"));
        assertThat(entitlement(emulator, "sub_gone").path("status").asText()).isEqualTo("canceled");
        List<String> stillLinked = new ArrayList<>();
        emulator.documents("users").stream().filter(u -> u.path("_id").asText().equals(userId))
                .forEach(u -> stillLinked.add(u.path("stripeCustomerId").asText("")));
        assertThat(stillLinked).containsExactly("");
    }
}

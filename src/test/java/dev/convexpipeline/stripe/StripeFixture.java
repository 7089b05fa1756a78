package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.emulator.ConvexEmulator;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** An emulator plus real pipelines (config/application.properties with overrides) on ephemeral ports. */
final class StripeFixture {
    static final String SECRET = "whsec_fixture_current";
    static final String ADMIN_TOKEN = "fixture-admin-token";
    static final String TIER_MAPPING = "price_basic=basic,lookup:pro_monthly=pro,prod_team=team";
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private StripeFixture() {
    }

    static ConvexEmulator emulator() {
        return new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
    }

    static PipelineRuntime pipeline(String convexUrl, String adminKey, Map<String, String> extra) throws Exception {
        Map<String, String> overrides = new HashMap<>(Map.of(
                "camel.server.port", String.valueOf(freePort()),
                "camel.management.port", String.valueOf(freePort()),
                "convex.url", convexUrl,
                "convex.admin-key", adminKey,
                "convex.max-attempts", "2",
                "convex.retry-initial-backoff-ms", "20",
                "convex.retry-max-backoff-ms", "50",
                "stripe.webhook-secret", SECRET,
                "stripe.tier-mapping", TIER_MAPPING,
                "admin.token", ADMIN_TOKEN));
        overrides.putAll(extra);
        return PipelineRuntime.create(Path.of("config/application.properties"), overrides).start();
    }

    static PipelineRuntime pipeline(ConvexEmulator emulator, Map<String, String> extra) throws Exception {
        return pipeline(emulator.url(), emulator.adminKey(), extra);
    }

    // ---- sending ------------------------------------------------------------------------------

    static HttpResponse<String> post(PipelineRuntime pipeline, byte[] body, String signature) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(webhookUri(pipeline))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (signature != null) {
            request.header("Stripe-Signature", signature);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Signs with {@link #SECRET} at the current time and posts. */
    static HttpResponse<String> send(PipelineRuntime pipeline, byte[] body) throws IOException, InterruptedException {
        return post(pipeline, body, StripeTestSigner.header(body, SECRET));
    }

    static URI webhookUri(PipelineRuntime pipeline) {
        return URI.create("http://127.0.0.1:" + pipeline.publicPort() + "/stripe/webhook");
    }

    static HttpResponse<String> admin(PipelineRuntime pipeline, String method, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pipeline.managementPort() + path))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String metrics(PipelineRuntime pipeline) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pipeline.managementPort()
                + "/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    // ---- Stripe payloads ----------------------------------------------------------------------

    static byte[] event(String id, String type, long created, String objectJson) {
        return ("{\n  \"id\": \"" + id + "\",\n  \"object\": \"event\",\n  \"api_version\": \"2025-03-31.basil\",\n"
                + "  \"created\": " + created + ",\n  \"livemode\": false,\n  \"pending_webhooks\": 1,\n"
                + "  \"type\": \"" + type + "\",\n  \"data\": {\"object\": " + objectJson + "}\n}")
                .getBytes(StandardCharsets.UTF_8);
    }

    static String subscription(String id, String customer, String status, String priceId, long periodEnd,
                               boolean cancelAtPeriodEnd) {
        return "{\"id\":\"" + id + "\",\"object\":\"subscription\",\"customer\":\"" + customer + "\",\"status\":\""
                + status + "\",\"cancel_at_period_end\":" + cancelAtPeriodEnd + ",\"cancel_at\":null,"
                + "\"items\":{\"object\":\"list\",\"data\":[{\"id\":\"si_" + id + "\",\"current_period_end\":" + periodEnd
                + ",\"price\":{\"id\":\"" + priceId + "\",\"lookup_key\":null,\"product\":\"prod_x\"}}]}}";
    }

    static String checkout(String customer, String subscription, String clientReferenceId) {
        return "{\"id\":\"cs_" + customer + "\",\"object\":\"checkout.session\",\"mode\":\"subscription\",\"customer\":\""
                + customer + "\",\"subscription\":\"" + subscription + "\",\"client_reference_id\":\"" + clientReferenceId + "\"}";
    }

    // ---- Convex state -------------------------------------------------------------------------

    static String user(ConvexEmulator emulator, String authSubject) {
        return emulator.runMutation("users:upsert", NODES.objectNode().put("authSubject", authSubject)).textValue();
    }

    static String linkedUser(ConvexEmulator emulator, String authSubject, String customer) {
        String id = user(emulator, authSubject);
        emulator.runMutation("users:linkStripeCustomer", NODES.objectNode().put("userId", id).put("stripeCustomerId", customer));
        return id;
    }

    static JsonNode entitlement(ConvexEmulator emulator, String subscription) {
        return emulator.runQuery("entitlements:getBySubscription", NODES.objectNode().put("stripeSubscriptionId", subscription));
    }

    static JsonNode ledger(ConvexEmulator emulator, String eventId) {
        return emulator.runQuery("stripe:getEvent", NODES.objectNode().put("eventId", eventId));
    }

    static List<ObjectNode> ledgerRows(ConvexEmulator emulator) {
        return emulator.documents("stripe_events");
    }

    static JsonNode tableCounts(ConvexEmulator emulator) {
        return emulator.runQuery("ops:tableCounts", NODES.objectNode());
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }
}

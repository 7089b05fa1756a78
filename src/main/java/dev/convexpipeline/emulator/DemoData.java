package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;

/** A few rows in the application tables, so a fresh sandbox has something to export and sync. */
final class DemoData {
    private DemoData() {
    }

    static void load(ConvexEmulator emulator) {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        String alice = emulator.runMutation("users:upsert", nodes.objectNode()
                .put("authSubject", "demo|alice").put("email", "alice@example.com")).textValue();
        emulator.runMutation("users:upsert", nodes.objectNode().put("authSubject", "demo|bob").putNull("email"));
        emulator.runMutation("users:linkStripeCustomer", nodes.objectNode()
                .put("userId", alice).put("stripeCustomerId", "cus_demo_alice"));
        ObjectNode entitlement = nodes.objectNode()
                .put("userId", alice).put("tier", "pro").put("status", "active")
                .put("stripeSubscriptionId", "sub_demo_alice").put("stripeCustomerId", "cus_demo_alice")
                .put("currentPeriodEnd", 1_800_000_000_000.0).put("cancelAtPeriodEnd", false)
                .put("lastEventId", "evt_demo_1").put("updatedAt", 1_790_000_000_000.0);
        entitlement.set("lastEventCreated", ConvexValues.int64(1_790_000_000L));
        emulator.insert("entitlements", entitlement);
        emulator.insert("stripe_reconcile_state", nodes.objectNode().put("key", "subscriptions")
                .putNull("cursor").putNull("runId").put("status", "idle").putNull("startedAt")
                .putNull("finishedAt").putNull("report"));
    }
}

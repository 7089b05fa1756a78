package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What an event asks Convex to do, as the {@code effect} argument of {@code stripe:applyEvent}
 * (docs/convex-contract.md). Built in Java from the event so the mutation receives typed fields,
 * never Stripe's raw shapes.
 */
public sealed interface EventEffect {
    JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The effect as a Convex value. */
    ObjectNode toConvex();

    /** Customer the effect concerns (ledger column, unmatched matching), or null. */
    String stripeCustomerId();

    /** The subscription's new state becomes its entitlement row. */
    record Subscription(SubscriptionEntitlement entitlement) implements EventEffect {
        @Override
        public ObjectNode toConvex() {
            ObjectNode sub = NODES.objectNode()
                    .put("stripeSubscriptionId", entitlement.stripeSubscriptionId())
                    .put("stripeCustomerId", entitlement.stripeCustomerId())
                    .put("status", entitlement.status())
                    .put("tier", entitlement.tier())
                    .put("cancelAtPeriodEnd", entitlement.cancelAtPeriodEnd());
            if (entitlement.currentPeriodEndMillis() == null) {
                sub.putNull("currentPeriodEnd");
            } else {
                sub.put("currentPeriodEnd", entitlement.currentPeriodEndMillis().doubleValue());
            }
            ObjectNode effect = NODES.objectNode().put("kind", "subscription");
            effect.set("subscription", sub);
            effect.set("unmappedPrices", NODES.arrayNode().addAll(entitlement.unmappedPrices().stream()
                    .map(NODES::textNode).toList()));
            return effect;
        }

        @Override
        public String stripeCustomerId() {
            return entitlement.stripeCustomerId();
        }
    }

    /** An invoice of a subscription was paid or its payment failed. */
    record Invoice(String stripeCustomerId, String stripeSubscriptionId, boolean paid) implements EventEffect {
        @Override
        public ObjectNode toConvex() {
            ObjectNode effect = NODES.objectNode().put("kind", "invoice").put("stripeCustomerId", stripeCustomerId)
                    .put("paid", paid);
            effect.put("stripeSubscriptionId", stripeSubscriptionId);
            return effect;
        }
    }

    /** A completed checkout links its customer to the user named by {@code client_reference_id}. */
    record Checkout(String stripeCustomerId, String stripeSubscriptionId, String clientReferenceId) implements EventEffect {
        @Override
        public ObjectNode toConvex() {
            return NODES.objectNode().put("kind", "checkout").put("stripeCustomerId", stripeCustomerId)
                    .put("stripeSubscriptionId", stripeSubscriptionId).put("clientReferenceId", clientReferenceId);
        }
    }

    /** The customer was deleted: its entitlements end and its user link is removed. */
    record CustomerDeleted(String stripeCustomerId) implements EventEffect {
        @Override
        public ObjectNode toConvex() {
            return NODES.objectNode().put("kind", "customerDeleted").put("stripeCustomerId", stripeCustomerId);
        }
    }

    /** Recorded, no effect: a type the pipeline does not act on, or an event without anything to act on. */
    record Ignore(String reason, String stripeCustomerId) implements EventEffect {
        @Override
        public ObjectNode toConvex() {
            return NODES.objectNode().put("kind", "ignore").put("reason", reason);
        }
    }

    /** Recorded as failed (needs an operator), no effect: the event could not be understood. */
    record Fail(String reason, String stripeCustomerId) implements EventEffect {
        @Override
        public ObjectNode toConvex() {
            return NODES.objectNode().put("kind", "fail").put("reason", reason);
        }
    }
}

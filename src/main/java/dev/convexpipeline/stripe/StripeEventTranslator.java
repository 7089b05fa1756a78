package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;
import java.util.Set;

import static dev.convexpipeline.stripe.SubscriptionEntitlementMapper.idOf;

/** Decides, per event type, what the event means for entitlements ({@link EventEffect}). */
public final class StripeEventTranslator {
    /** Subscription events whose {@code data.object} is the subscription's full new state. */
    static final Set<String> SUBSCRIPTION_TYPES = Set.of(
            "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
            "customer.subscription.paused", "customer.subscription.resumed", "customer.subscription.trial_will_end",
            "customer.subscription.pending_update_applied", "customer.subscription.pending_update_expired");

    /** Every type {@link #translate} acts on; reconcile asks Stripe's Events API for exactly these. */
    public static final Set<String> HANDLED_TYPES = java.util.stream.Stream.concat(SUBSCRIPTION_TYPES.stream(),
            java.util.stream.Stream.of("checkout.session.completed", "invoice.paid", "invoice.payment_failed",
                    "customer.deleted")).collect(java.util.stream.Collectors.toUnmodifiableSet());

    private final SubscriptionEntitlementMapper mapper;

    public StripeEventTranslator(SubscriptionEntitlementMapper mapper) {
        this.mapper = mapper;
    }

    public EventEffect translate(StripeEvent event) {
        JsonNode object = event.object();
        String customer = idOf(object.get("customer")).orElse(null);
        try {
            if (SUBSCRIPTION_TYPES.contains(event.type())) {
                return new EventEffect.Subscription(mapper.map(object));
            }
            return switch (event.type()) {
                case "checkout.session.completed" -> checkout(object, customer);
                case "invoice.paid", "invoice.payment_failed" -> invoice(event, object, customer);
                case "customer.deleted" -> idOf(object.get("id"))
                        .<EventEffect>map(EventEffect.CustomerDeleted::new)
                        .orElseGet(() -> new EventEffect.Fail("customer.deleted without customer id", null));
                default -> new EventEffect.Ignore("type " + event.type() + " is not acted on", customer);
            };
        } catch (SubscriptionEntitlementMapper.UnusableSubscriptionException e) {
            return new EventEffect.Fail(e.getMessage(), customer);
        }
    }

    private static EventEffect checkout(JsonNode session, String customer) {
        String reference = idOf(session.get("client_reference_id")).orElse(null);
        String subscription = idOf(session.get("subscription")).orElse(null);
        if (customer == null) {
            return new EventEffect.Ignore("checkout session without customer", null);
        }
        if (reference == null) {
            return new EventEffect.Ignore("checkout session without client_reference_id", customer);
        }
        return new EventEffect.Checkout(customer, subscription, reference);
    }

    private static EventEffect invoice(StripeEvent event, JsonNode invoice, String customer) {
        if (customer == null) {
            return new EventEffect.Fail(event.type() + " without customer", null);
        }
        Optional<String> subscription = subscriptionOf(invoice);
        if (subscription.isEmpty()) {
            return new EventEffect.Ignore("invoice is not for a subscription", customer);
        }
        return new EventEffect.Invoice(customer, subscription.get(), event.type().equals("invoice.paid"));
    }

    /** {@code invoice.subscription} before API 2025-03-31; {@code parent.subscription_details.subscription} after. */
    static Optional<String> subscriptionOf(JsonNode invoice) {
        Optional<String> direct = idOf(invoice.get("subscription"));
        if (direct.isPresent()) {
            return direct;
        }
        Optional<String> parent = idOf(invoice.path("parent").path("subscription_details").get("subscription"));
        if (parent.isPresent()) {
            return parent;
        }
        for (JsonNode line : invoice.path("lines").path("data")) {
            Optional<String> fromLine = idOf(line.get("subscription"))
                    .or(() -> idOf(line.path("parent").path("subscription_item_details").get("subscription")));
            if (fromLine.isPresent()) {
                return fromLine;
            }
        }
        return Optional.empty();
    }
}

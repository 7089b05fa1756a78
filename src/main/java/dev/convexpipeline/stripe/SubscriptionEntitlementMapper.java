package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns a Stripe subscription object (webhook {@code data.object} or an API response, any API
 * version) into a {@link SubscriptionEntitlement}. Shared by the webhook and reconcile so both
 * write the same row for the same subscription.
 *
 * <ul>
 *   <li>Tier: every item's price is mapped ({@link TierMapping}); the highest mapped tier wins;
 *       unmapped prices are reported, and with no mapped item the tier is {@code unmapped}.</li>
 *   <li>Period end: the latest {@code items.data[].current_period_end} (API 2025-03-31 moved it onto
 *       items), falling back to the subscription-level field of older API versions.</li>
 *   <li>Cancel at period end: {@code cancel_at_period_end}, or a {@code cancel_at} equal to the period
 *       end, which is how newer API versions and the customer portal express the same thing.</li>
 * </ul>
 */
public final class SubscriptionEntitlementMapper {
    private final TierMapping tiers;

    public SubscriptionEntitlementMapper(TierMapping tiers) {
        this.tiers = tiers;
    }

    /** Thrown when the object lacks what an entitlement needs (id, customer, status). */
    public static final class UnusableSubscriptionException extends RuntimeException {
        public UnusableSubscriptionException(String message) {
            super(message, null, false, false);
        }
    }

    public SubscriptionEntitlement map(JsonNode subscription) {
        String id = text(subscription.get("id"))
                .orElseThrow(() -> new UnusableSubscriptionException("subscription without id"));
        String customer = idOf(subscription.get("customer"))
                .orElseThrow(() -> new UnusableSubscriptionException("subscription " + id + " without customer"));
        String status = text(subscription.get("status"))
                .orElseThrow(() -> new UnusableSubscriptionException("subscription " + id + " without status"));

        String tier = null;
        List<String> unmapped = new ArrayList<>();
        Long periodEnd = null;
        for (JsonNode item : subscription.path("items").path("data")) {
            JsonNode price = item.has("price") ? item.get("price") : item.get("plan");
            Optional<String> mapped = tiers.tierFor(price);
            if (mapped.isPresent()) {
                tier = tier == null ? mapped.get() : tiers.higher(tier, mapped.get());
            } else {
                unmapped.add(price == null ? "(item " + item.path("id").asText("?") + " without price)"
                        : price.isTextual() ? price.textValue() : price.path("id").asText("?"));
            }
            periodEnd = max(periodEnd, seconds(item.get("current_period_end")));
        }
        if (periodEnd == null) {
            periodEnd = seconds(subscription.get("current_period_end"));
        }
        Long cancelAt = seconds(subscription.get("cancel_at"));
        boolean cancelAtPeriodEnd = subscription.path("cancel_at_period_end").asBoolean(false)
                || (cancelAt != null && cancelAt.equals(periodEnd));
        return new SubscriptionEntitlement(id, customer, status, tier == null ? TierMapping.UNMAPPED : tier,
                unmapped, periodEnd == null ? null : periodEnd * 1000L, cancelAtPeriodEnd);
    }

    /** A Stripe reference: an id string, or an expanded object with {@code id}. */
    static Optional<String> idOf(JsonNode reference) {
        if (reference == null || reference.isNull()) {
            return Optional.empty();
        }
        return reference.isTextual() ? text(reference) : text(reference.get("id"));
    }

    private static Optional<String> text(JsonNode node) {
        return node != null && node.isTextual() && !node.textValue().isBlank() ? Optional.of(node.textValue()) : Optional.empty();
    }

    private static Long seconds(JsonNode node) {
        return node != null && node.isIntegralNumber() ? node.longValue() : null;
    }

    private static Long max(Long a, Long b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return Math.max(a, b);
    }
}

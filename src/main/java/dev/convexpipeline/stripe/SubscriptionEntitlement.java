package dev.convexpipeline.stripe;

import java.util.List;

/**
 * What a Stripe subscription entitles its customer to, as the {@code entitlements} row stores it
 * (docs/convex-contract.md), minus the user, which Convex resolves from the customer id.
 *
 * @param stripeSubscriptionId {@code sub_...}
 * @param stripeCustomerId     {@code cus_...}
 * @param status               Stripe subscription status ({@code active}, {@code past_due}, {@code canceled}, ...)
 * @param tier                 mapped tier, or {@link TierMapping#UNMAPPED} when no item's price is mapped
 * @param unmappedPrices       price ids of items the tier mapping does not know (possibly empty)
 * @param currentPeriodEndMillis latest {@code current_period_end} of the items, ms since the epoch, or null
 * @param cancelAtPeriodEnd    the subscription ends when the current period does
 */
public record SubscriptionEntitlement(String stripeSubscriptionId, String stripeCustomerId, String status, String tier,
                                      List<String> unmappedPrices, Long currentPeriodEndMillis,
                                      boolean cancelAtPeriodEnd) {
    public SubscriptionEntitlement {
        unmappedPrices = List.copyOf(unmappedPrices);
    }

    public boolean isTierUnmapped() {
        return TierMapping.UNMAPPED.equals(tier);
    }
}

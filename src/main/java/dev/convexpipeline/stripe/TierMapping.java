package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which product tier a Stripe price grants, from {@code stripe.tier-mapping}
 * ({@code STRIPE_TIER_MAPPING}), e.g. {@code price_123=pro,lookup:pro_monthly=pro,prod_X=team}.
 *
 * <p>A price is looked up by its id first, then by {@code lookup:<lookup_key>}, then by its product id,
 * so one product can map all its prices while one price can still be singled out. Tiers rank by their
 * first appearance in the mapping (list lower tiers first): a subscription with several items gets
 * the highest tier any item grants.
 */
public final class TierMapping {
    public static final String UNMAPPED = "unmapped";

    private final Map<String, String> tierByKey;
    private final List<String> ranking;

    private TierMapping(Map<String, String> tierByKey, List<String> ranking) {
        this.tierByKey = tierByKey;
        this.ranking = ranking;
    }

    /** Parses the configured mapping; fails with the offending entry when it is malformed. */
    public static TierMapping parse(String text) {
        Map<String, String> tierByKey = new LinkedHashMap<>();
        List<String> ranking = new ArrayList<>();
        if (text != null) {
            for (String entry : text.split(",")) {
                if (entry.isBlank()) {
                    continue;
                }
                int eq = entry.indexOf('=');
                String key = eq < 0 ? "" : entry.substring(0, eq).trim();
                String tier = eq < 0 ? "" : entry.substring(eq + 1).trim();
                if (key.isEmpty() || tier.isEmpty() || key.equals("lookup:")) {
                    throw new IllegalArgumentException("stripe.tier-mapping entry '" + entry.trim()
                            + "' is not <price id|lookup:<lookup key>|product id>=<tier>");
                }
                if (tier.equals(UNMAPPED)) {
                    throw new IllegalArgumentException("stripe.tier-mapping: '" + UNMAPPED + "' is reserved for prices without a tier");
                }
                String previous = tierByKey.put(key, tier);
                if (previous != null && !previous.equals(tier)) {
                    throw new IllegalArgumentException("stripe.tier-mapping maps " + key + " twice (" + previous + ", " + tier + ")");
                }
                if (!ranking.contains(tier)) {
                    ranking.add(tier);
                }
            }
        }
        return new TierMapping(Map.copyOf(tierByKey), List.copyOf(ranking));
    }

    /** The tier for one {@code price} object (or bare price id string), if mapped. */
    public Optional<String> tierFor(JsonNode price) {
        if (price == null || price.isNull() || price.isMissingNode()) {
            return Optional.empty();
        }
        if (price.isTextual()) {
            return Optional.ofNullable(tierByKey.get(price.textValue()));
        }
        String byId = tierByKey.get(price.path("id").asText(""));
        if (byId != null) {
            return Optional.of(byId);
        }
        JsonNode lookupKey = price.get("lookup_key");
        if (lookupKey != null && lookupKey.isTextual()) {
            String byLookup = tierByKey.get("lookup:" + lookupKey.textValue());
            if (byLookup != null) {
                return Optional.of(byLookup);
            }
        }
        JsonNode product = price.get("product");
        String productId = product == null ? null : product.isTextual() ? product.textValue() : product.path("id").asText(null);
        return productId == null ? Optional.empty() : Optional.ofNullable(tierByKey.get(productId));
    }

    /** The higher of two tiers by mapping order. */
    public String higher(String a, String b) {
        return ranking.indexOf(a) >= ranking.indexOf(b) ? a : b;
    }

    public boolean isEmpty() {
        return tierByKey.isEmpty();
    }

    @Override
    public String toString() {
        return "TierMapping" + tierByKey;
    }
}

package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SubscriptionEntitlementMapperTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final SubscriptionEntitlementMapper mapper = new SubscriptionEntitlementMapper(
            TierMapping.parse("price_basic=basic,lookup:pro_monthly=pro,prod_team=team"));

    @Test
    void severalItemsGiveTheHighestTierAndTheLatestItemPeriodEnd() throws Exception {
        SubscriptionEntitlement e = mapper.map(json("""
                {"id":"sub_1","customer":"cus_1","status":"active","cancel_at_period_end":false,
                 "items":{"data":[
                   {"id":"si_1","current_period_end":1700000000,"price":{"id":"price_basic","product":"prod_a"}},
                   {"id":"si_2","current_period_end":1700003600,"price":{"id":"price_x","lookup_key":"pro_monthly","product":"prod_b"}}]}}
                """));
        assertThat(e.tier()).isEqualTo("pro");
        assertThat(e.currentPeriodEndMillis()).isEqualTo(1_700_003_600_000L);
        assertThat(e.unmappedPrices()).isEmpty();
        assertThat(e.stripeCustomerId()).isEqualTo("cus_1");
    }

    @Test
    void productIdMapsAndExpandedCustomerIsRead() throws Exception {
        SubscriptionEntitlement e = mapper.map(json("""
                {"id":"sub_2","customer":{"id":"cus_2","object":"customer"},"status":"trialing",
                 "items":{"data":[{"current_period_end":1700000000,"price":{"id":"price_t","product":{"id":"prod_team"}}}]}}
                """));
        assertThat(e.tier()).isEqualTo("team");
        assertThat(e.stripeCustomerId()).isEqualTo("cus_2");
        assertThat(e.status()).isEqualTo("trialing");
    }

    @Test
    void unmappedPricesAreReportedAndWithoutAnyMappedItemTheTierIsUnmapped() throws Exception {
        SubscriptionEntitlement e = mapper.map(json("""
                {"id":"sub_3","customer":"cus_3","status":"active",
                 "items":{"data":[{"price":{"id":"price_new","product":"prod_new"}},{"price":{"id":"price_basic"}}]}}
                """));
        assertThat(e.tier()).isEqualTo("basic");
        assertThat(e.unmappedPrices()).containsExactly("price_new");
        SubscriptionEntitlement none = mapper.map(json("""
                {"id":"sub_4","customer":"cus_3","status":"active","items":{"data":[{"price":{"id":"price_new"}}]}}
                """));
        assertThat(none.isTierUnmapped()).isTrue();
    }

    @Test
    void legacyPeriodEndAndCancelAtAreHonoured() throws Exception {
        SubscriptionEntitlement legacy = mapper.map(json("""
                {"id":"sub_5","customer":"cus_5","status":"active","current_period_end":1600000000,
                 "cancel_at_period_end":true,"items":{"data":[{"plan":{"id":"price_basic"}}]}}
                """));
        assertThat(legacy.currentPeriodEndMillis()).isEqualTo(1_600_000_000_000L);
        assertThat(legacy.cancelAtPeriodEnd()).isTrue();
        assertThat(legacy.tier()).isEqualTo("basic");
        SubscriptionEntitlement portal = mapper.map(json("""
                {"id":"sub_6","customer":"cus_6","status":"active","cancel_at_period_end":false,"cancel_at":1700000000,
                 "items":{"data":[{"current_period_end":1700000000,"price":{"id":"price_basic"}}]}}
                """));
        assertThat(portal.cancelAtPeriodEnd()).isTrue();
    }

    @Test
    void aSubscriptionWithoutCustomerIsUnusable() {
        assertThatThrownBy(() -> mapper.map(json("{\"id\":\"sub_7\",\"status\":\"active\"}")))
                .isInstanceOf(SubscriptionEntitlementMapper.UnusableSubscriptionException.class)
                .hasMessageContaining("sub_7");
    }

    @Test
    void tierMappingRejectsMalformedEntries() {
        assertThatThrownBy(() -> TierMapping.parse("price_1")).hasMessageContaining("price_1");
        assertThatThrownBy(() -> TierMapping.parse("price_1=pro,price_1=team")).hasMessageContaining("twice");
        assertThatThrownBy(() -> TierMapping.parse("price_1=unmapped")).hasMessageContaining("reserved");
        assertThat(TierMapping.parse("").isEmpty()).isTrue();
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }
}

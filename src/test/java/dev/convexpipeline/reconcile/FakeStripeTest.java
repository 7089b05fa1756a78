package dev.convexpipeline.reconcile;

import com.stripe.StripeClient;
import com.stripe.exception.InvalidRequestException;
import com.stripe.model.Subscription;
import com.stripe.net.HttpHeaders;
import com.stripe.net.StripeResponse;
import com.stripe.param.SubscriptionListParams;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fake speaks Stripe's list protocol well enough for stripe-java itself, and the retry delay reads Retry-After. */
class FakeStripeTest {

    @Test
    void stripeJavaAutoPagingFollowsTheFakesListUrlAndCursor() throws Exception {
        try (FakeStripe fake = new FakeStripe()) {
            for (int i = 0; i < 250; i++) {
                fake.put(FakeStripe.subscription(String.format("sub_%03d", i), "cus_1", i % 10 == 0 ? "canceled" : "active",
                        "price_basic", null, 1_700_000_000L + i, 1_800_000_000L, false));
            }
            StripeClient client = StripeClient.builder().setApiKey(FakeStripe.API_KEY).setApiBase(fake.apiBase()).build();
            List<String> ids = new ArrayList<>();
            client.v1().subscriptions().list(SubscriptionListParams.builder().setStatus(SubscriptionListParams.Status.ALL)
                    .setLimit(100L).addExpand("data.items.data.price").build())
                    .autoPagingIterable().forEach(sub -> ids.add(sub.getId()));
            assertThat(ids).hasSize(250).doesNotHaveDuplicates().startsWith("sub_249", "sub_248");
            assertThat(fake.subscriptionListRequests()).isEqualTo(3);

            List<String> live = new ArrayList<>();
            client.v1().subscriptions().list(SubscriptionListParams.builder().setLimit(100L).build())
                    .autoPagingIterable().forEach(sub -> live.add(sub.getId()));
            assertThat(live).as("without status=all, canceled subscriptions are not listed").hasSize(225);

            Subscription one = client.v1().subscriptions().retrieve("sub_001");
            assertThat(one.getItems().getData().get(0).getPrice().getId()).isEqualTo("price_basic");
            assertThatThrownBy(() -> client.v1().subscriptions().retrieve("sub_nope"))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("No such subscription");
        }
    }

    @Test
    void retryAfterIsReadAsSecondsOrAnHttpDate() {
        assertThat(PacedStripeHttpClient.retryAfter(response(Map.of("Retry-After", List.of("2")))))
                .contains(Duration.ofSeconds(2));
        String inThreeSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now().plusSeconds(3));
        assertThat(PacedStripeHttpClient.retryAfter(response(Map.of("Retry-After", List.of(inThreeSeconds)))))
                .hasValueSatisfying(d -> assertThat(d).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(3)));
        assertThat(PacedStripeHttpClient.retryAfter(response(Map.of()))).isEmpty();
        assertThat(PacedStripeHttpClient.retryAfter(response(Map.of("Retry-After", List.of("soon"))))).isEmpty();
    }

    private static StripeResponse response(Map<String, List<String>> headers) {
        return new StripeResponse(429, HttpHeaders.of(headers), "{}");
    }
}

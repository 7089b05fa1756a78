package dev.convexpipeline.stripe;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.retry.RetryPolicy;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class StripeBeansTest {
    @Test
    void webhookConvexCallsFitInsideStripesDeliveryTimeoutOverTheSharedClient() {
        ConvexClientConfig configured = new ConvexClientConfig(URI.create("http://stripe-beans-test.invalid:3210"), "k|x",
                Duration.ofSeconds(5), Duration.ofSeconds(30), new RetryPolicy(5, Duration.ofMillis(200), Duration.ofSeconds(5)),
                ConvexClientConfig.DEFAULT_CLIENT_NAME);
        try (ConvexClient shared = new ConvexClient(configured)) {
            ConvexClient webhook = StripeBeans.withinStripeTimeout(shared);
            ConvexClientConfig capped = webhook.config();
            assertThat(capped.retryPolicy().maxAttempts()).isEqualTo(3);
            assertThat(capped.requestTimeout()).isEqualTo(Duration.ofSeconds(5));
            assertThat(capped.connectTimeout()).isLessThanOrEqualTo(capped.requestTimeout());
            // A Convex that accepts connections but never answers: every attempt waits the request timeout.
            long worstCase = capped.retryPolicy().maxAttempts() * capped.requestTimeout().toMillis()
                    + (capped.retryPolicy().maxAttempts() - 1) * capped.retryPolicy().maxBackoff().toMillis();
            assertThat(worstCase).isLessThan(Duration.ofSeconds(20).toMillis());
            assertThat(capped.toString()).doesNotContain("k|x");
            // A view, not a second client: same connections, and the shared client keeps its own limits.
            assertThat(webhook.sharesTransportWith(shared)).isTrue();
            assertThat(shared.config().retryPolicy().maxAttempts()).isEqualTo(5);
            assertThat(ConvexClient.openTransports("http://stripe-beans-test.invalid:3210")).isEqualTo(1);
            webhook.close();
            assertThat(ConvexClient.openTransports("http://stripe-beans-test.invalid:3210"))
                    .as("closing the webhook's view leaves the shared client open").isEqualTo(1);
        }
        assertThat(ConvexClient.openTransports("http://stripe-beans-test.invalid:3210")).isZero();
        assertThat(StripeBeans.withinStripeTimeout(null)).isNull();
    }
}

package dev.convexpipeline.stripe;

import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.RetryPolicy;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class StripeBeansTest {
    @Test
    void webhookConvexCallsFitInsideStripesDeliveryTimeout() {
        ConvexClientConfig configured = new ConvexClientConfig(URI.create("http://127.0.0.1:3210"), "k|x",
                Duration.ofSeconds(5), Duration.ofSeconds(30), new RetryPolicy(5, Duration.ofMillis(200), Duration.ofSeconds(5)),
                ConvexClientConfig.DEFAULT_CLIENT_NAME);
        ConvexClientConfig capped = StripeBeans.withinStripeTimeout(configured);
        assertThat(capped.retryPolicy().maxAttempts()).isEqualTo(3);
        assertThat(capped.requestTimeout()).isEqualTo(Duration.ofSeconds(5));
        // A Convex that accepts connections but never answers: every attempt waits the request timeout.
        long worstCase = capped.retryPolicy().maxAttempts() * capped.requestTimeout().toMillis()
                + (capped.retryPolicy().maxAttempts() - 1) * capped.retryPolicy().maxBackoff().toMillis();
        assertThat(worstCase).isLessThan(Duration.ofSeconds(20).toMillis());
        assertThat(capped.toString()).doesNotContain("k|x");
    }
}

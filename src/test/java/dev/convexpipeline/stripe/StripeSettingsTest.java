package dev.convexpipeline.stripe;

import dev.convexpipeline.testing.TestSettings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StripeSettingsTest {

    @Test
    void rejectionSummaryIntervalDefaultsToOneMinuteInTheShippedConfiguration() {
        StripeSettings settings = StripeSettings.from(TestSettings.defaults());

        assertThat(settings.rejectionSummaryInterval()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void rejectionSummaryIntervalTakesShortAndIsoDurations() {
        assertThat(StripeSettings.from(TestSettings.with(Map.of("stripe.webhook-rejection-summary-interval", "30s")))
                .rejectionSummaryInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(StripeSettings.from(TestSettings.with(Map.of("stripe.webhook-rejection-summary-interval", "PT5M")))
                .rejectionSummaryInterval()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void aRejectionSummaryIntervalThatIsNotAPositiveDurationIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> StripeSettings.from(TestSettings.with(Map.of("stripe.webhook-rejection-summary-interval", "soon"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stripe.webhook-rejection-summary-interval").hasMessageContaining("soon");
        assertThatThrownBy(() -> StripeSettings.from(TestSettings.with(Map.of("stripe.webhook-rejection-summary-interval", "0s"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stripe.webhook-rejection-summary-interval must be a positive duration");
    }
}

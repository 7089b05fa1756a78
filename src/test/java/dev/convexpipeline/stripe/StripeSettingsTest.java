package dev.convexpipeline.stripe;

import dev.convexpipeline.app.ConfigFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StripeSettingsTest {

    @Test
    void rejectionSummaryIntervalDefaultsToOneMinuteInTheShippedConfiguration() {
        StripeSettings settings = StripeSettings.from(ConfigFile.properties(Path.of("config/application.properties")));

        assertThat(settings.rejectionSummaryInterval()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void rejectionSummaryIntervalTakesShortAndIsoDurations() {
        assertThat(StripeSettings.from(Map.of("stripe.webhook-rejection-summary-interval", "30s")::get)
                .rejectionSummaryInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(StripeSettings.from(Map.of("stripe.webhook-rejection-summary-interval", "PT5M")::get)
                .rejectionSummaryInterval()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void aRejectionSummaryIntervalThatIsNotAPositiveDurationIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> StripeSettings.from(Map.of("stripe.webhook-rejection-summary-interval", "soon")::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stripe.webhook-rejection-summary-interval").hasMessageContaining("soon");
        assertThatThrownBy(() -> StripeSettings.from(Map.of("stripe.webhook-rejection-summary-interval", "0s")::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stripe.webhook-rejection-summary-interval must be a positive duration");
    }
}

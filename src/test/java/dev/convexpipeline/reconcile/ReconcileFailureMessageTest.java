package dev.convexpipeline.reconcile;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A failed run says what failed: the HTTP status or the connection, the endpoint on the host used, the attempts. */
class ReconcileFailureMessageTest {

    @Test
    void aStripeErrorNamesStatusEndpointAndAttempts() throws Exception {
        try (ReconcileFixture fx = new ReconcileFixture()) {
            fx.stripe.inject(FakeStripe.Fault.serverError(), FakeStripe.Fault.serverError(), FakeStripe.Fault.serverError());
            ReconcileReport report = fx.reconciler(settings(fx.stripe.apiBase(), 3)).run("test", false);

            assertThat(report.status()).isEqualTo("failed");
            assertThat(report.error()).startsWith("Stripe answered HTTP 500 to GET " + fx.stripe.apiBase() + "/v1/")
                    .contains("after 3 attempt(s)");
        }
    }

    @Test
    void anUnreachableStripeNamesTheHostActuallyUsed() throws Exception {
        String nowhere = "http://127.0.0.1:" + freePort();
        try (ReconcileFixture fx = new ReconcileFixture()) {
            ReconcileReport report = fx.reconciler(settings(nowhere, 2)).run("test", false);

            assertThat(report.status()).isEqualTo("failed");
            assertThat(report.error()).startsWith("connection to Stripe failed: GET " + nowhere + "/v1/")
                    .contains("2 attempt(s)").doesNotContain("api.stripe.com");
        }
    }

    private static ReconcileSettings settings(String apiBase, int attempts) {
        return new ReconcileSettings(FakeStripe.API_KEY, apiBase, 1000, attempts, Duration.ofMillis(10),
                Duration.ofMillis(20), Duration.ofMinutes(5), ReconcileSettings.MAX_EVENTS_LOOKBACK,
                Duration.ofMinutes(5), Duration.ofSeconds(5));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

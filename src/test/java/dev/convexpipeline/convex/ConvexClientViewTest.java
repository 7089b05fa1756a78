package dev.convexpipeline.convex;

import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.retry.RetryPolicy;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A view of a client ({@link ConvexClient#withLimits}) tightens limits over the same connections. */
class ConvexClientViewTest {

    @Test
    void aViewOnlyTightensLimitsAndClosingItLeavesTheClientWorking() {
        try (ConvexEmulator emulator = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
             ConvexClient client = new ConvexClient(ConvexClientConfig.of(emulator.url(), emulator.adminKey())
                     .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(10))
                     .withRetryPolicy(new RetryPolicy(4, Duration.ofMillis(50), Duration.ofMillis(400))))) {
            ConvexClient tight = client.withLimits(RetryPolicy.noRetries(), Duration.ofSeconds(1));
            assertThat(tight.config().retryPolicy().maxAttempts()).isEqualTo(1);
            assertThat(tight.config().requestTimeout()).isEqualTo(Duration.ofSeconds(1));
            assertThat(tight.config().connectTimeout()).isEqualTo(Duration.ofSeconds(1));

            ConvexClient loose = client.withLimits(new RetryPolicy(10, Duration.ofSeconds(1), Duration.ofMinutes(1)),
                    Duration.ofMinutes(5));
            assertThat(loose.config().retryPolicy().maxAttempts()).as("never more than the client's").isEqualTo(4);
            assertThat(loose.config().retryPolicy().maxBackoff()).isEqualTo(Duration.ofMillis(400));
            assertThat(loose.config().requestTimeout()).isEqualTo(Duration.ofSeconds(10));

            assertThat(tight.sharesTransportWith(client)).isTrue();
            assertThat(tight.version()).isEqualTo(client.version());
            tight.close();
            assertThat(client.version()).as("the client still answers after its view is closed").isNotBlank();
        }
    }

    @Test
    void aViewWithoutRetriesFailsAfterOneAttempt() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (ConvexClient client = new ConvexClient(ConvexClientConfig.of("http://127.0.0.1:" + closedPort, "k|00")
                .withRetryPolicy(new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(20))))) {
            assertThatThrownBy(() -> client.withLimits(RetryPolicy.noRetries(), Duration.ofSeconds(1)).version())
                    .isInstanceOf(ConvexUnavailableException.class).hasMessageContaining("after 1 attempt(s)");
            assertThatThrownBy(client::version)
                    .isInstanceOf(ConvexUnavailableException.class).hasMessageContaining("after 3 attempt(s)");
        }
    }
}

package dev.convexpipeline.convex;

import dev.convexpipeline.retry.RetryPolicy;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Failure paths that need no emulator: nothing listens on the port at all. */
class ConvexClientUnavailableTest {
    private static final String KEY = "convex-self-hosted|0123secretsecret";

    @Test
    void connectionRefusedGivesUnavailableAfterBoundedAttempts() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closedPort;
        ConvexClientConfig config = ConvexClientConfig.of(url, KEY)
                .withRetryPolicy(new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(40)));

        long started = System.nanoTime();
        ConvexUnavailableException failure;
        try (ConvexClient client = new ConvexClient(config)) {
            failure = assertThrows(ConvexUnavailableException.class,
                    () -> client.query("users:list", null));
        }

        assertThat(failure.attempts()).isEqualTo(3);
        assertThat(failure.getMessage())
                .contains(url)
                .contains("query users:list")
                .contains("after 3 attempt(s)")
                .doesNotContain(KEY)
                .doesNotContain("secret");
        assertThat(failure.getCause()).isInstanceOf(ConnectException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }
}

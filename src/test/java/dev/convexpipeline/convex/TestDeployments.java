package dev.convexpipeline.convex;

import dev.convexpipeline.retry.RetryPolicy;
import dev.convexpipeline.emulator.ConvexEmulator;

import java.time.Duration;

/** Starts emulators and builds clients for them, in one place so the tests share the setup. */
final class TestDeployments {
    private TestDeployments() {
    }

    /** A fresh, empty emulator on an ephemeral port. */
    static ConvexEmulator startEmulator() {
        return new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
    }

    /** A client for {@code url} with quick retries, so failure tests finish in well under a second. */
    static ConvexClient client(String url, String adminKey) {
        return new ConvexClient(ConvexClientConfig.of(url, adminKey)
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(30))
                .withRetryPolicy(new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(100))));
    }

    static ConvexClient client(ConvexEmulator emulator) {
        return client(emulator.url(), emulator.adminKey());
    }
}

package dev.convexpipeline.app;

import dev.convexpipeline.backup.BackupOperations;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.pitr.ChangeCaptureOperations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve} opens one Convex client (one connection pool) for CONVEX_URL, however many flows use
 * it: the webhook and readiness take views of it, reconcile, backups and change capture share it.
 */
class ServeSharesOneConvexClientTest {

    @Test
    void everyFlowUsesTheOneClientAndStoppingClosesIt(@TempDir Path temp) throws Exception {
        // Nothing listens there: the flows fail, but every client they would use is opened.
        String convexUrl = "http://127.0.0.1:" + freePort();
        try (PipelineRuntime pipeline = PipelineRuntime.create(Path.of("config/application.properties"), Map.of(
                "camel.server.port", String.valueOf(freePort()),
                "camel.management.port", String.valueOf(freePort()),
                "convex.url", convexUrl,
                "convex.admin-key", "convex-self-hosted|0123abcd",
                "convex.max-attempts", "1",
                "backup.target", "file:" + temp.resolve("backups"),
                "backup.enabled", "false",
                "changes.enabled", "false",
                "changes.spill-directory", temp.resolve("spill").toString())).start()) {
            var registry = pipeline.camelContext().getRegistry();
            // Change capture and backups build their services on first use: use them.
            registry.lookupByNameAndType("changes", ChangeCaptureOperations.class).scheduled();
            assertThat(registry.lookupByNameAndType("backups", BackupOperations.class).describe()).isNotEmpty();

            assertThat(ConvexClient.openTransports(convexUrl)).as("connection pools to " + convexUrl).isEqualTo(1);
            assertThat(registry.findByType(ConvexClient.class)).as("Convex clients bound beside the connection").isEmpty();
            ConvexConnection connection = registry.lookupByNameAndType("convexConnection", ConvexConnection.class);
            assertThat(connection.client().config().deploymentUrl().toString()).isEqualTo(convexUrl);
        }
        assertThat(ConvexClient.openTransports(convexUrl)).as("closed when the pipeline stops").isZero();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

package dev.convexpipeline.convex;

import dev.convexpipeline.retry.RetryPolicy;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A snapshot download that goes quiet fails with a message that says it was the download, and for how long. */
class ConvexDownloadTimeoutTest {

    @Test
    void aStalledDownloadSaysItWasTheDownload() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/export/zip/", exchange -> {
            exchange.sendResponseHeaders(200, 1000);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(new byte[10]);
                out.flush();
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        try (ConvexClient client = new ConvexClient(ConvexClientConfig.of(
                "http://127.0.0.1:" + server.getAddress().getPort(), "convex-self-hosted|00")
                .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300))
                .withRetryPolicy(RetryPolicy.noRetries()))) {
            ConvexClient.ExportDownload download = client.openExportDownload(1_700_000_000_000_000_000L);
            try (InputStream body = download.body()) {
                assertThat(body.readNBytes(10)).hasSize(10);
                assertThatThrownBy(body::read)
                        .hasMessageContaining("/api/export/zip/")
                        .hasMessageEndingWith("sent nothing for 300 ms: the snapshot download timed out"
                                + " (convex.request-timeout-ms, CONVEX_REQUEST_TIMEOUT_MS)");
            }
        } finally {
            release.countDown();
            server.stop(0);
        }
    }
}

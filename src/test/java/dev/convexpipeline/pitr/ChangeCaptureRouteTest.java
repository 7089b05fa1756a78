package dev.convexpipeline.pitr;

import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.backup.LocalDirectoryTarget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The pipeline's own schedule captures changes every CHANGES_FLUSH_INTERVAL and reports on health and metrics. */
class ChangeCaptureRouteTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path temp;

    @Test
    void theScheduledRouteWritesSegmentsAndReportsLagSegmentsAndDocuments() throws Exception {
        Path backups = temp.resolve("backups");
        try (PitrFixture fixture = new PitrFixture(new LocalDirectoryTarget(backups), temp)) {
            fixture.insert("messages", "before", 0);
            fixture.backup();
            int management = freePort();
            try (PipelineRuntime pipeline = PipelineRuntime.create(Path.of("config/application.properties"), Map.of(
                    "camel.server.port", String.valueOf(freePort()),
                    "camel.management.port", String.valueOf(management),
                    "convex.url", fixture.source.url(),
                    "convex.admin-key", fixture.source.adminKey(),
                    "backup.target", "file:" + backups,
                    "backup.enabled", "false",
                    "changes.flush-interval", "1s",
                    "admin.token", "route-test-token")).start()) {
                for (int i = 0; i < 5; i++) {
                    fixture.insert("messages", "during" + i, i);
                }
                ChangeCatalog.Listing listing = await("a change segment in the backup storage").atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> fixture.restoreService().planner().listing(),
                                l -> !l.chains().isEmpty() && !l.chains().get(0).segments().isEmpty());
                assertThat(listing.chains()).hasSize(1);
                assertThat(listing.chains().get(0).segments()).isNotEmpty();

                String metrics = get(management, "/observe/metrics");
                assertThat(metrics).contains("convex_changes_segments_total").contains("convex_changes_documents_total")
                        .contains("convex_changes_lag_seconds");
                assertThat(metricValue(metrics, "convex_changes_documents_total")).isEqualTo(5.0);
                assertThat(get(management, "/observe/health")).doesNotContain("change-capture");

                // The deployment forgets changes capture has not read yet: a gap, raised on /observe/health.
                fixture.insert("messages", "lost", 9);
                fixture.source.store().forgetChangesThrough(fixture.source.store().latest().timestamp());
                String health = await("the gap on /observe/health").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> get(management, "/observe/health"), h -> h.contains("change-capture"));
                assertThat(health).contains("change-capture").contains("DOWN").contains("gap").contains("backup run");
            }
        }
    }

    private static double metricValue(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static String get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

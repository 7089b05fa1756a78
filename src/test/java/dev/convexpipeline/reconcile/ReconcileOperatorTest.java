package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.testing.CliRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.convexpipeline.reconcile.FakeStripe.subscription;
import static dev.convexpipeline.reconcile.ReconcileFixture.DAY;
import static dev.convexpipeline.reconcile.ReconcileFixture.now;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The operator's triggers of the same run: admin API (with metrics) on a booted pipeline, and the CLI. */
class ReconcileOperatorTest {
    private static final String TOKEN = "reconcile-admin-token";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;
    private ReconcileFixture fx;
    private long period;

    @BeforeEach
    void seed() throws Exception {
        fx = new ReconcileFixture();
        period = now() + 20 * DAY;
        String user = fx.linkedUser("user-1", "cus_1");
        fx.stripe.put(subscription("sub_missing", "cus_1", "active", "price_pro", "pro_monthly", now() - DAY, period, false));
        fx.stripe.put(subscription("sub_tier", "cus_1", "active", "price_pro", "pro_monthly", now() - 2 * DAY, period, false));
        fx.entitlement(user, "sub_tier", "cus_1", "basic", "active", period, false, now() - 3 * DAY);
        fx.entitlement(user, "sub_gone", "cus_1", "basic", "active", period, false, now() - 3 * DAY);
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    private Map<String, String> settings() {
        Map<String, String> s = new HashMap<>();
        s.put("convex.url", fx.emulator.url());
        s.put("convex.admin-key", fx.emulator.adminKey());
        s.put("stripe.secret-key", FakeStripe.API_KEY);
        s.put("stripe.tier-mapping", ReconcileFixture.TIER_MAPPING);
        s.put("reconcile.stripe-api-base", fx.stripe.apiBase());
        s.put("reconcile.stripe-retry-initial-backoff-ms", "20");
        // Not during the test: the schedule's own test is ClusteredReconcileScheduleTest.
        s.put("reconcile.cron", "0 0 0 1 1 ? 2099");
        return s;
    }

    @Test
    void adminApiRunsDryRunsRefusesAndReportsWithMetrics() throws Exception {
        Map<String, String> overrides = settings();
        overrides.put("camel.server.port", String.valueOf(freePort()));
        overrides.put("camel.management.port", String.valueOf(freePort()));
        overrides.put("admin.token", TOKEN);
        try (PipelineRuntime pipeline = PipelineRuntime.create(Path.of("config/application.properties"), overrides).start()) {
            int port = pipeline.managementPort();
            Map<String, String> before = fx.entitlements();

            HttpResponse<String> dry = admin(port, "POST", "/admin/reconcile?dryRun=true");
            assertThat(dry.statusCode()).isEqualTo(200);
            JsonNode dryReport = JSON.readTree(dry.body());
            assertThat(dryReport.path("dryRun").asBoolean()).isTrue();
            assertThat(dryReport.path("created").asLong()).isEqualTo(1);
            assertThat(dryReport.path("updated").asLong()).isEqualTo(1);
            assertThat(dryReport.path("revoked").asLong()).isEqualTo(1);
            assertThat(dryReport.path("drift").toString()).contains("sub_missing", "sub_tier", "sub_gone");
            assertThat(fx.entitlements()).isEqualTo(before);

            var held = fx.stripe.holdSubscriptionsPage(fx.stripe.subscriptionListRequests() + 1);
            HttpResponse<String> started = admin(port, "POST", "/admin/reconcile");
            assertThat(started.statusCode()).isEqualTo(202);
            String runId = JSON.readTree(started.body()).path("runId").asText();
            assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
            HttpResponse<String> refused = admin(port, "POST", "/admin/reconcile");
            assertThat(refused.statusCode()).isEqualTo(409);
            assertThat(refused.body()).contains("already in progress").contains(runId);
            fx.stripe.release();

            JsonNode last = waitForCompleted(port, runId);
            assertThat(last.path("lastCompleted").path("created").asLong()).isEqualTo(1);
            assertThat(last.path("lastCompleted").path("updated").asLong()).isEqualTo(1);
            assertThat(last.path("lastCompleted").path("revoked").asLong()).isEqualTo(1);
            assertThat(last.path("lastDryRun").path("dryRun").asBoolean()).isTrue();
            assertThat(fx.entitlements()).containsEntry("sub_tier", "pro/active/" + period * 1000 + "/false")
                    .containsEntry("sub_gone", "basic/canceled/" + period * 1000 + "/false");

            String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/observe/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("reconcile_last_success_timestamp_seconds")
                    .containsPattern("reconcile_last_run_count\\{kind=\"created\"[^}]*} 1\\.0")
                    .containsPattern("reconcile_last_run_count\\{kind=\"revoked\"[^}]*} 1\\.0")
                    .containsPattern("reconcile_runs_total\\{[^}]*status=\"completed\"[^}]*} 1\\.0");
        }
    }

    @Test
    void cliRunsTheSameRunWithATableOrJson() throws Exception {
        Path config = work.resolve("application.properties");
        StringBuilder text = new StringBuilder(Files.readString(Path.of("config/application.properties"))).append('\n');
        settings().forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
        Files.writeString(config, text);

        CliRun dry = CliRun.of("reconcile", "--config", config.toString(), "--dry-run");
        assertThat(dry.exit()).isZero();
        assertThat(dry.out()).contains("dry run: nothing was changed").contains("WOULD").contains("sub_tier")
                .contains("tier basic→pro");
        assertThat(fx.entitlement("sub_tier").path("tier").asText()).isEqualTo("basic");

        CliRun run = CliRun.of("reconcile", "--config", config.toString(), "--json");
        assertThat(run.exit()).isZero();
        JsonNode report = JSON.readTree(run.out());
        assertThat(report.path("status").asText()).isEqualTo("completed");
        assertThat(report.path("trigger").asText()).isEqualTo("cli");
        assertThat(report.path("created").asLong()).isEqualTo(1);
        assertThat(fx.entitlement("sub_tier").path("tier").asText()).isEqualTo("pro");

        CliRun status = CliRun.of("reconcile", "--config", config.toString(), "--status");
        assertThat(JSON.readTree(status.out()).path("lastCompleted").path("runId").asText())
                .isEqualTo(report.path("runId").asText());

        fx.stripe.inject(new FakeStripe.Fault(500, Map.of("Stripe-Should-Retry", "false")));
        CliRun failed = CliRun.of("reconcile", "--config", config.toString());
        assertThat(failed.exit()).isEqualTo(1);
        assertThat(failed.err()).contains("reconcile failed");
    }

    private static JsonNode waitForCompleted(int port, String runId) throws Exception {
        return await("run " + runId + " completed").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> JSON.readTree(admin(port, "GET", "/admin/reconcile/last").body()),
                        last -> runId.equals(last.path("lastCompleted").path("runId").asText()));
    }

    private static HttpResponse<String> admin(int port, String method, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .header("Authorization", "Bearer " + TOKEN)
                        .method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

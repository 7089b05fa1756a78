package dev.convexpipeline.ops;

import dev.convexpipeline.app.PipelineRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ManagementEndpointsTest {
    private static final String TOKEN = "test-admin-token-123";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static PipelineRuntime pipeline;
    private static int managementPort;
    private static int publicPort;

    @BeforeAll
    static void startPipeline() throws Exception {
        managementPort = freePort();
        publicPort = freePort();
        pipeline = PipelineRuntime.create(Path.of("config/application.properties"), Map.of(
                "camel.server.port", String.valueOf(publicPort),
                "camel.management.port", String.valueOf(managementPort),
                "convex.url", "http://127.0.0.1:" + freePort(),
                "admin.token", TOKEN)).start();
    }

    @AfterAll
    static void stopPipeline() {
        pipeline.close();
    }

    @Test
    void livenessIsUpAndMetricsArePrometheusText() throws Exception {
        HttpResponse<String> live = get("/observe/health/live", null);
        assertThat(live.statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = get("/observe/metrics", null);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("# TYPE");
    }

    @Test
    void readinessIsDownWithTheReasonWhenNoAdminKeyIsConfigured() throws Exception {
        HttpResponse<String> ready = get("/observe/health/ready", null);
        assertThat(ready.statusCode()).isEqualTo(503);
        HttpResponse<String> status = get("/admin/status", "Bearer " + TOKEN);
        assertThat(status.body()).contains("\"ready\":false").contains("CONVEX_SERVICE_TOKEN");
    }

    @Test
    void adminApiRejectsMissingAndWrongTokens() throws Exception {
        assertThat(get("/admin/status", null).statusCode()).isEqualTo(401);
        assertThat(get("/admin/status", "Bearer wrong").statusCode()).isEqualTo(401);
        HttpResponse<String> ok = get("/admin/status", "Bearer " + TOKEN);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("\"version\"").doesNotContain(TOKEN);
    }

    @Test
    void unknownAdminEndpointIs404() throws Exception {
        HttpResponse<String> response = get("/admin/nope", "Bearer " + TOKEN);
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("No admin endpoint GET /admin/nope");
    }

    @Test
    void observabilityIsNotOnThePublicPort() throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + publicPort + "/observe/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(404);
    }

    @Test
    void aKnownAdminPathAskedWithTheWrongMethodIs405NamingTheRightOne() throws Exception {
        HttpResponse<String> getOnPost = get("/admin/backup/run", "Bearer " + TOKEN);
        assertThat(getOnPost.statusCode()).isEqualTo(405);
        assertThat(getOnPost.headers().firstValue("Allow")).contains("POST");
        assertThat(getOnPost.body()).contains("/admin/backup/run takes POST, not GET");
        assertThat(get("/admin/stripe/events/evt_1/reapply", "Bearer " + TOKEN).statusCode()).isEqualTo(405);

        HttpResponse<String> postOnGet = send("POST", "/admin/status");
        assertThat(postOnGet.statusCode()).isEqualTo(405);
        assertThat(postOnGet.headers().firstValue("Allow")).contains("GET");
    }

    @Test
    void reconcileWithoutItsStripeKeyIs503WithTheReason() throws Exception {
        HttpResponse<String> response = send("POST", "/admin/reconcile");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("STRIPE_SECRET_KEY").doesNotContain("Exception");
    }

    private static HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

package dev.convexpipeline.migration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.testing.CapturedLogs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code POST /admin/migrations} and {@code GET /admin/migrations/<id>} on a running pipeline. */
class MigrationAdminApiTest {
    private static final String TOKEN = "migration-admin-token";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final MigrationFixture fixture = new MigrationFixture();
    private PipelineRuntime pipeline;
    private int managementPort;

    @BeforeEach
    void start() throws Exception {
        managementPort = freePort();
        Map<String, String> overrides = new HashMap<>(fixture.properties());
        overrides.put("camel.server.port", String.valueOf(freePort()));
        overrides.put("camel.management.port", String.valueOf(managementPort));
        overrides.put("convex.url", "http://127.0.0.1:" + freePort());
        overrides.put("backup.enabled", "false");
        overrides.put("admin.token", TOKEN);
        pipeline = PipelineRuntime.create(Path.of("config/application.properties"), overrides).start();
    }

    @AfterEach
    void stop() throws Exception {
        pipeline.close();
    }

    @Test
    void postStartsTheRouteAndGetFollowsItToAVerifiedReport() throws Exception {
        try (CapturedLogs logs = new CapturedLogs("%msg [migrationId=%X{migrationId}]%n")) {
            String id = migrateToAVerifiedReport();
            String report = await("the report's log line").atMost(Duration.ofSeconds(10)).until(
                    () -> logs.text().lines().filter(line -> line.startsWith("Migration " + id + " VERIFIED")).findFirst(),
                    java.util.Optional::isPresent).get();
            assertThat(report).as("each step's log line carries its migration id").endsWith("[migrationId=" + id + "]");
        }
    }

    private String migrateToAVerifiedReport() throws Exception {
        HttpResponse<String> started = send("POST", "/admin/migrations",
                "{\"from\":\"" + fixture.source.url() + "\",\"to\":\"" + fixture.target.url() + "\"}");

        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String id = JSON.readTree(started.body()).path("id").asText();
        assertThat(id).startsWith("m-");

        JsonNode status = await("migration " + id + " finished").atMost(Duration.ofSeconds(60))
                .until(() -> {
                    HttpResponse<String> response = send("GET", "/admin/migrations/" + id, null);
                    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                    return JSON.readTree(response.body());
                }, s -> s.path("status").asText().matches("verified|different|failed"));
        assertThat(status.path("status").asText()).as(status.toString()).isEqualTo("verified");
        assertThat(status.path("progress").path("documentsWritten").asLong()).isEqualTo(29);
        assertThat(status.path("progress").path("bytesSent").asLong()).isEqualTo(status.path("snapshot").path("bytes").asLong());
        assertThat(status.path("report")).hasSize(3);
        assertThat(fixture.target.documents("messages")).hasSize(25);

        HttpResponse<String> list = send("GET", "/admin/migrations", null);
        assertThat(JSON.readTree(list.body()).path("migrations")).hasSize(1);
        String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/observe/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("pipeline_migration_documents_written");
        return id;
    }

    @Test
    void refusalsAre400WithTheReasonAndUnknownIdsAre404() throws Exception {
        fixture.target.insert("users", MigrationFixture.NODES.objectNode().put("name", "existing"));
        HttpResponse<String> refused = send("POST", "/admin/migrations",
                "{\"from\":\"" + fixture.source.url() + "\",\"to\":\"" + fixture.target.url() + "\"}");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("already has documents in users");

        HttpResponse<String> destructive = send("POST", "/admin/migrations",
                "{\"from\":\"" + fixture.source.url() + "\",\"to\":\"" + fixture.target.url() + "\",\"mode\":\"replace\"}");
        assertThat(destructive.statusCode()).isEqualTo(400);
        assertThat(destructive.body()).contains("type the target's instance name");

        assertThat(send("GET", "/admin/migrations/m-nope", null).statusCode()).isEqualTo(404);
        assertThat(fixture.target.documents("users")).hasSize(1);
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

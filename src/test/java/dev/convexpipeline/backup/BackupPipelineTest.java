package dev.convexpipeline.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.testing.CliRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The running pipeline: admin API, metrics and health for backups; and the backup CLI on the same storage. */
class BackupPipelineTest {
    private static final String TOKEN = "backup-admin-token";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path directory;
    private static ConvexEmulator convex;
    private static PipelineRuntime pipeline;
    private static int managementPort;

    @BeforeAll
    static void start() throws Exception {
        convex = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
        convex.insert("messages", JsonNodeFactory.instance.objectNode().put("body", "hi"));
        convex.insert("users", JsonNodeFactory.instance.objectNode().put("name", "Ada"));
        managementPort = freePort();
        pipeline = PipelineRuntime.create(Path.of("config/application.properties"), Map.of(
                "camel.server.port", String.valueOf(freePort()),
                "camel.management.port", String.valueOf(managementPort),
                "convex.url", convex.url(),
                "convex.admin-key", convex.adminKey(),
                "backup.target", "file:" + directory.resolve("backups"),
                "backup.max-age", "1s",
                "admin.token", TOKEN)).start();
    }

    @AfterAll
    static void stop() {
        pipeline.close();
        convex.stop();
    }

    @Test
    void adminApiRunsListsVerifiesAndPrunesAndMetricsAndHealthFollow() throws Exception {
        // With no backup, backup-age turns DOWN once the pipeline has run longer than backup.max-age (1 s).
        String health = await("backup-age DOWN after backup.max-age").atMost(Duration.ofSeconds(20))
                .until(() -> send("GET", "/observe/health", false).body(), body -> body.contains("No successful backup exists"));
        assertThat(health).contains("backup-age");
        assertThat(send("GET", "/observe/health/ready", false).body()).doesNotContain("backup-age");
        assertThat(send("GET", "/observe/health/live", false).statusCode()).isEqualTo(200);

        HttpResponse<String> run = send("POST", "/admin/backup/run", true);
        assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
        JsonNode manifest = JSON.readTree(run.body());
        String id = manifest.path("id").asText();
        assertThat(manifest.path("documents").asLong()).isEqualTo(2);

        JsonNode list = JSON.readTree(send("GET", "/admin/backup/list", true).body());
        assertThat(list.path("backups")).hasSize(1);
        assertThat(list.path("backups").get(0).path("id").asText()).isEqualTo(id);
        assertThat(list.path("backups").get(0).path("verified").asText()).isEqualTo("never");

        HttpResponse<String> verify = send("POST", "/admin/backup/verify?id=latest", true);
        assertThat(verify.statusCode()).as(verify.body()).isEqualTo(200);
        assertThat(JSON.readTree(verify.body()).path("ok").asBoolean()).isTrue();

        HttpResponse<String> prune = send("POST", "/admin/backup/prune", true);
        assertThat(prune.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(prune.body()).path("dryRun").asBoolean()).isTrue();
        assertThat(JSON.readTree(prune.body()).path("keep")).hasSize(1);

        String metrics = send("GET", "/observe/metrics", false).body();
        assertThat(metrics).contains("convex_backup_last_success_seconds").contains("convex_backup_last_size_bytes")
                .contains("convex_backup_last_documents").contains("convex_backup_runs_total{outcome=\"success\"} 1.0");

        // The CLI sees the same backups, straight from the storage.
        Path config = directory.resolve("cli.properties");
        // The release's file with this deployment's values after it (a later line wins): every setting present.
        Files.writeString(config, Files.readString(Path.of("config/application.properties"))
                + "\nbackup.target = file:" + directory.resolve("backups") + "\n"
                + "convex.url = " + convex.url() + "\nconvex.admin-key = " + convex.adminKey() + "\n");
        CliRun listed = CliRun.of("backup", "list", "--config", config.toString());
        assertThat(listed.exit()).isZero();
        assertThat(listed.out()).contains(id).contains("ok").contains("1 backup(s) of convex-self-hosted");
        assertThat(CliRun.of("backup", "pin", id, "--config", config.toString()).exit()).isZero();
        CliRun json = CliRun.of("backup", "list", "--json", "--config", config.toString());
        assertThat(JSON.readTree(json.out()).path("backups").get(0).path("pinned").asBoolean()).isTrue();
        assertThat(CliRun.of("backup", "run", "--config", config.toString()).out()).contains("done");
        assertThat(CliRun.of("backup", "verify", "latest", "--config", config.toString()).exit()).isZero();

        Path zip;
        try (Stream<Path> files = Files.walk(directory.resolve("backups"))) {
            zip = files.filter(f -> f.toString().endsWith(id + ".zip")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(zip);
        bytes[bytes.length - 30] ^= 0x7f;
        Files.write(zip, bytes);
        CliRun failed = CliRun.of("backup", "verify", id, "--config", config.toString());
        assertThat(failed.exit()).isEqualTo(BackupCommand.EXIT_VERIFY_FAILED);
        assertThat(failed.out()).contains("FAILED verification: ");
        HttpResponse<String> apiVerify = send("POST", "/admin/backup/verify?id=" + id, true);
        assertThat(apiVerify.statusCode()).isEqualTo(409);
        assertThat(CliRun.of("backup", "verify", "nope", "--config", config.toString()).err()).contains("No backup nope");
        CliRun dryRun = CliRun.of("backup", "prune", "--dry-run", "--config", config.toString());
        assertThat(dryRun.out()).contains("would delete 0 of 2 backup(s) (dry run: nothing deleted)");
    }

    static HttpResponse<String> send(String method, String path, boolean admin) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (admin) {
            request.header("Authorization", "Bearer " + TOKEN);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

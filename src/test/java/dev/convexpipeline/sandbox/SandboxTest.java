package dev.convexpipeline.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.util.Map;
import dev.convexpipeline.app.ConfigFile;
import dev.convexpipeline.app.SandboxSettings;
import dev.convexpipeline.backup.BackupMetrics;
import dev.convexpipeline.backup.BackupService;
import dev.convexpipeline.backup.BackupSettings;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class SandboxTest {
    @TempDir
    Path dataDir;

    @Test
    void sandboxWiresEmulatorS3AndPipelineAndPrintsTheKeys() throws Exception {
        int http = freePort();
        int management = freePort();
        SandboxCommand command = new SandboxCommand(Map.of("ADMIN_TOKEN", "token-from-env"));
        new CommandLine(command).parseArgs("--ephemeral", "--data-dir", dataDir.toString(), "--convex-port", "0", "--s3-port", "0",
                "--http-port", String.valueOf(http), "--management-port", String.valueOf(management));
        try (SandboxCommand.Sandbox sandbox = command.start()) {
            Map<String, String> facts = sandbox.facts();
            assertThat(facts.get("admin.token")).as("a token set in the environment is used").isEqualTo("token-from-env");
            assertThat(facts.get("convex.adminKey")).startsWith("convex-self-hosted|");

            HttpClient http2 = HttpClient.newHttpClient();
            HttpResponse<String> ready = http2.send(HttpRequest.newBuilder(
                    URI.create(facts.get("pipeline.managementUrl") + "/observe/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as("pipeline is ready against the emulator: %s", ready.body()).isEqualTo(200);

            try (ConvexClient convex = new ConvexClient(ConvexClientConfig.of(facts.get("convex.url"), facts.get("convex.adminKey")))) {
                JsonNode users = convex.query("users:list", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode());
                assertThat(users.size()).as("demo users").isGreaterThanOrEqualTo(2);
            }

            try (S3Client s3 = S3Client.builder()
                    .endpointOverride(URI.create(facts.get("s3.endpoint")))
                    .forcePathStyle(true)
                    .region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create(facts.get("s3.accessKey"), facts.get("s3.secretKey"))))
                    .build()) {
                assertThat(s3.listBuckets().buckets()).anyMatch(b -> b.name().equals(facts.get("s3.bucket")));

                HttpResponse<String> backup = http2.send(HttpRequest.newBuilder(
                        URI.create(facts.get("pipeline.managementUrl") + "/admin/backup/run"))
                        .header("Authorization", "Bearer token-from-env")
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(backup.statusCode()).as("backup in the sandbox: %s", backup.body()).isEqualTo(200);
                assertThat(s3.listObjectsV2(r -> r.bucket(facts.get("s3.bucket"))).contents())
                        .as("the sandbox's backups land in its embedded S3 server")
                        .anyMatch(o -> o.key().endsWith(".manifest.json"))
                        .anyMatch(o -> o.key().endsWith(".zip"));
            }

            // A command in a second terminal finds this sandbox and sees the backup just taken.
            assertThat(SandboxSettings.file(dataDir)).exists();
            assertThat(Files.getPosixFilePermissions(SandboxSettings.file(dataDir)))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            try (BackupService backups = BackupSettings.load(ConfigFile.settings(Path.of("config/application.properties"), dataDir))
                    .createService(new BackupMetrics(), Clock.systemUTC())) {
                assertThat(backups.target().describe()).contains(facts.get("s3.bucket"));
                assertThat(backups.list().backups()).hasSize(1);
            }

            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            SandboxCommand.print(sandbox, new PrintStream(printed, true));
            assertThat(printed.toString()).contains(facts.get("convex.url")).contains(facts.get("convex.adminKey"))
                    .contains(facts.get("s3.endpoint")).contains("token-from-env");
        }
        assertThat(SandboxSettings.file(dataDir)).as("removed when the sandbox stops").doesNotExist();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

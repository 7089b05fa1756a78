package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.convex.ConvexIds;
import dev.convexpipeline.convex.ConvexValues;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@code --data-dir} emulator run as its own process, fed every kind of input Convex refuses,
 * killed with SIGKILL after each and started again: it must refuse each one, go on accepting
 * writes, and restart with exactly what it accepted.
 */
@Tag("npm")
class EmulatorDataDirSurvivalTest {
    private static final String ADMIN_KEY = "convex-self-hosted|0123456789abcdef";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private Process emulator;
    private String url;

    @BeforeAll
    static void installCli() throws Exception {
        ConvexCli.install();
    }

    @AfterEach
    void killEmulator() {
        if (emulator != null) {
            emulator.destroyForcibly();
        }
    }

    @Test
    void refusedInputsLeaveTheDataDirectoryStartableWithEverythingAccepted(@TempDir Path temp) throws Exception {
        Path dataDir = temp.resolve("data");
        Path dollar = Files.writeString(temp.resolve("dollar.jsonl"), "{\"$x\":1}\n");
        Path underscore = Files.writeString(temp.resolve("under.jsonl"), "{\"_secret\":1}\n");
        String storageId = ConvexIds.generate(27);
        Path bodylessStorageZip = Files.write(temp.resolve("bodyless.zip"), OfficialCliFidelityTest.zip(
                "_storage/documents.jsonl", "{\"_id\":\"" + storageId + "\",\"_creationTime\":1.0,"
                        + "\"sha256\":\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\",\"size\":0,\"contentType\":null}\n",
                "t/documents.jsonl", "{\"a\":1}\n"));
        Path storageZip = Files.write(temp.resolve("storage.zip"), OfficialCliFidelityTest.zip(
                "_storage/" + storageId, "kept across a SIGKILL"));

        start(dataDir);
        List<String> accepted = new ArrayList<>();
        accepted.add(upsert("keep|0"));
        assertThat(cli("env", "set", "KEEP", "yes").exitCode()).isZero();

        Map<String, Refusal> refusals = new LinkedHashMap<>();
        refusals.put("import of a $ field", () -> {
            ConvexCli.Result result = cli("import", "-y", "--table", "d", dollar.toString());
            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.output()).contains("Field name $x starts with '$', which is reserved.");
        });
        refusals.put("import of a _ field", () -> {
            ConvexCli.Result result = cli("import", "-y", "--table", "u", underscore.toString());
            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.output()).contains("Field '_secret' starts with an underscore");
        });
        refusals.put("mutation with a lone surrogate", () -> {
            HttpResponse<String> response = post("/api/mutation",
                    "{\"path\":\"users:upsert\",\"args\":{\"authSubject\":\"bad\\ud800\"},\"format\":\"json\"}");
            assertThat(response.statusCode()).isEqualTo(400);
            JsonNode body = ConvexValues.MAPPER.readTree(response.body());
            assertThat(body.get("code").asText()).isEqualTo("BadJsonBody");
            assertThat(body.get("message").asText()).startsWith("Failed to parse the request body as JSON: ");
        });
        refusals.put("1.1 MB mutation argument", () -> {
            HttpResponse<String> response = post("/api/mutation", "{\"path\":\"users:upsert\",\"args\":{\"authSubject\":"
                    + "\"big|1\",\"email\":\"" + "x".repeat(1_100_000) + "\"},\"format\":\"json\"}");
            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode body = ConvexValues.MAPPER.readTree(response.body());
            assertThat(body.get("status").asText()).isEqualTo("error");
            assertThat(body.get("errorMessage").asText()).contains("Value is too large (1.05 MiB > maximum size 1 MiB)");
        });
        refusals.put("import of a _storage row without its file", () -> {
            ConvexCli.Result result = cli("import", "-y", bodylessStorageZip.toString());
            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.output()).contains("has no file in the snapshot");
        });

        int round = 1;
        for (Map.Entry<String, Refusal> refusal : refusals.entrySet()) {
            refusal.getValue().run();
            accepted.add(upsert("after|" + round++));
            emulator.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            start(dataDir);
            assertThat(userSubjects()).as("after %s and a SIGKILL", refusal.getKey()).containsExactlyInAnyOrderElementsOf(accepted);
            assertThat(cli("env", "get", "KEEP").output()).contains("yes");
            assertThat(cli("data").output()).contains("users").doesNotContain("\nd\n").doesNotContain("\nu\n");
        }

        assertThat(cli("import", "-y", "--append", storageZip.toString()).exitCode()).isZero();
        emulator.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        start(dataDir);
        Path exported = temp.resolve("exported.zip");
        assertThat(cli("export", "--include-file-storage", "--path", exported.toString()).exitCode()).isZero();
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(exported.toFile())) {
            assertThat(new String(zip.getInputStream(zip.getEntry("_storage/" + storageId)).readAllBytes(),
                    StandardCharsets.UTF_8)).isEqualTo("kept across a SIGKILL");
        }
    }

    private interface Refusal {
        void run() throws Exception;
    }

    private void start(Path dataDir) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), EmulatorCommand.class.getName(),
                "--port", "0", "--data-dir", dataDir.toString()).redirectErrorStream(true);
        // The key goes through the environment, never the command line.
        builder.environment().put("CONVEX_ADMIN_KEY", ADMIN_KEY);
        emulator = builder.start();
        BufferedReader output = new BufferedReader(new InputStreamReader(emulator.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String line;
        while (System.nanoTime() < deadline && (line = output.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.startsWith("Convex emulator running at ")) {
                url = line.substring("Convex emulator running at ".length()).trim();
                Thread drain = new Thread(() -> output.lines().forEach(ignored -> { }), "emulator-output");
                drain.setDaemon(true);
                drain.start();
                return;
            }
        }
        throw new AssertionError("The emulator did not start on " + dataDir + ":\n" + seen);
    }

    private String upsert(String subject) throws Exception {
        HttpResponse<String> response = post("/api/mutation",
                "{\"path\":\"users:upsert\",\"args\":{\"authSubject\":\"" + subject + "\"},\"format\":\"json\"}");
        JsonNode body = ConvexValues.MAPPER.readTree(response.body());
        assertThat(body.get("status").asText()).as(response.body()).isEqualTo("success");
        return subject;
    }

    private List<String> userSubjects() throws Exception {
        HttpResponse<String> response = post("/api/query", "{\"path\":\"users:list\",\"args\":{},\"format\":\"json\"}");
        JsonNode body = ConvexValues.MAPPER.readTree(response.body());
        assertThat(body.get("status").asText()).as(response.body()).isEqualTo("success");
        List<String> subjects = new ArrayList<>();
        body.get("value").forEach(user -> subjects.add(user.get("authSubject").asText()));
        return subjects;
    }

    private HttpResponse<String> post(String path, String json) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("Authorization", "Convex " + ADMIN_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private ConvexCli.Result cli(String... args) throws Exception {
        return ConvexCli.convex(url, ADMIN_KEY, args);
    }
}

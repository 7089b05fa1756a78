package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.convexpipeline.PipelineCli;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.convexpipeline.reconcile.FakeStripe.subscription;
import static dev.convexpipeline.reconcile.ReconcileFixture.DAY;
import static dev.convexpipeline.reconcile.ReconcileFixture.now;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@code --json} verb, run as an operator runs it (its own JVM, real standard output and
 * error, logs at INFO): standard output is exactly one JSON document, on success and on failure,
 * with integer numbers; logs and the failure line are on standard error.
 */
class CliJsonOutputTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path backups;
    private static ReconcileFixture fx;

    record Run(int exit, JsonNode json, String stderr) {
        String lastErrorLine() {
            return stderr.strip().lines().reduce((a, b) -> b).orElse("");
        }
    }

    @BeforeAll
    static void seed() throws Exception {
        fx = new ReconcileFixture();
        fx.linkedUser("user-1", "cus_1");
        fx.stripe.put(subscription("sub_1", "cus_1", "active", "price_pro", "pro_monthly", now() - DAY, now() + 20 * DAY, false));
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    private static Map<String, String> environment() {
        Map<String, String> env = new HashMap<>();
        env.put("CONVEX_URL", fx.emulator.url());
        env.put("CONVEX_SERVICE_TOKEN", fx.emulator.adminKey());
        env.put("STRIPE_SECRET_KEY", FakeStripe.API_KEY);
        env.put("STRIPE_TIER_MAPPING", ReconcileFixture.TIER_MAPPING);
        env.put("RECONCILE_STRIPE_API_BASE", fx.stripe.apiBase());
        env.put("RECONCILE_STRIPE_RATE_LIMIT", "1000");
        env.put("BACKUP_TARGET", "file:" + backups);
        env.put("LOG_LEVEL", "INFO");
        return env;
    }

    @Test
    void everyVerbPrintsOneJsonDocumentWithIntegerNumbersOnSuccess() throws Exception {
        Map<String, String> env = environment();
        for (List<String> verb : List.of(List.of("backup", "run"), List.of("backup", "list"),
                List.of("backup", "verify", "latest"), List.of("backup", "prune", "--dry-run"),
                List.of("stripe", "events", "--all"), List.of("reconcile"), List.of("reconcile", "--dry-run"))) {
            List<String> args = new ArrayList<>(verb);
            args.add("--json");
            Run run = run(env, args);
            assertThat(run.exit()).as(String.join(" ", args) + "\n" + run.stderr()).isZero();
            assertThat(run.json().isObject()).isTrue();
            assertIntegralNumbers(run.json(), String.join(" ", args));
            if (verb.equals(List.of("backup", "run"))) {
                // It logs its progress at INFO: all of it on standard error.
                assertThat(run.stderr()).contains(" INFO ");
            }
        }
        // LOG_FORMAT=json: every log line is a JSON object, and the backup's lines carry its id.
        Map<String, String> jsonLogs = new HashMap<>(env);
        jsonLogs.put("LOG_FORMAT", "json");
        Run logged = run(jsonLogs, List.of("backup", "run", "--json"));
        assertThat(logged.exit()).isZero();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : logged.stderr().strip().split("\n")) {
            lines.add(JSON.readTree(line));
        }
        // The context is a top-level field (JsonTemplateLayout, log-event.json), and absent where not set.
        assertThat(lines).anySatisfy(line -> assertThat(line.path("backupId").asText())
                .isEqualTo(logged.json().path("id").asText()));
        assertThat(lines).allSatisfy(line -> assertThat(line.has("level") && line.has("loggerName")
                && line.has("timestamp")).as(line.toString()).isTrue());
        assertThat(lines).allSatisfy(line -> assertThat(line.has("eventId") || line.has("migrationId")).isFalse());
        assertThat(lines).anySatisfy(line -> assertThat(line.path("message").asText()).startsWith("audit action=\"backup run\""));

        Run status = run(env, List.of("reconcile", "--status"));
        assertThat(status.exit()).isZero();
        assertIntegralNumbers(status.json(), "reconcile --status");
    }

    @Test
    void aFailedVerbStillPrintsOneJsonDocumentAndNamesItselfOnStandardError() throws Exception {
        Map<String, String> env = environment();
        Run verify = run(env, List.of("backup", "verify", "20990101T000000Z", "--json"));
        assertThat(verify.exit()).isEqualTo(1);
        assertThat(verify.json().path("ok").asBoolean(true)).isFalse();
        assertThat(verify.json().path("command").asText()).isEqualTo("backup verify");
        assertThat(verify.lastErrorLine()).startsWith("backup verify failed: ");

        Map<String, String> wrongKey = new HashMap<>(env);
        wrongKey.put("CONVEX_SERVICE_TOKEN", "convex-emulator|00");
        wrongKey.put("CONVEX_MAX_ATTEMPTS", "1");
        for (List<String> verb : List.of(List.of("backup", "run"), List.of("stripe", "events"))) {
            List<String> args = new ArrayList<>(verb);
            args.add("--json");
            Run run = run(wrongKey, args);
            assertThat(run.exit()).as(String.join(" ", args)).isEqualTo(1);
            assertThat(run.json().path("error").asText()).isNotBlank();
            assertThat(run.lastErrorLine()).startsWith(String.join(" ", verb) + " failed: ");
        }

        Map<String, String> stripeDown = new HashMap<>(env);
        stripeDown.put("RECONCILE_STRIPE_API_BASE", "http://127.0.0.1:" + freePort());
        stripeDown.put("RECONCILE_STRIPE_MAX_ATTEMPTS", "2");
        stripeDown.put("RECONCILE_STRIPE_RETRY_INITIAL_BACKOFF_MS", "10");
        Run reconcile = run(stripeDown, List.of("reconcile", "--json"));
        assertThat(reconcile.exit()).isEqualTo(1);
        assertThat(reconcile.json().path("status").asText()).isEqualTo("failed");
        assertIntegralNumbers(reconcile.json(), "reconcile --json (failed)");
        // Its one-line reason (the audit line may follow it) names the connection and the host used.
        assertThat(reconcile.stderr().lines()).anyMatch(line -> line.startsWith("reconcile failed: connection to Stripe failed: GET "
                + stripeDown.get("RECONCILE_STRIPE_API_BASE") + "/v1/"));
    }

    private static void assertIntegralNumbers(JsonNode node, String where) {
        if (node.isContainerNode()) {
            node.forEach(child -> assertIntegralNumbers(child, where));
        } else if (node.isNumber()) {
            assertThat(node.isIntegralNumber()).as(where + ": number " + node + " is not an integer").isTrue();
        }
    }

    private static Run run(Map<String, String> env, List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PipelineCli.class.getName()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        Process process = builder.start();
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        String stdout = read(process.getInputStream());
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        JsonNode json;
        try (JsonParser parser = JSON.createParser(stdout)) {
            json = JSON.readTree(parser);
            assertThat(json).as(String.join(" ", args) + " printed nothing on stdout; stderr:\n" + stderr.get()).isNotNull();
            assertThat(parser.nextToken()).as(String.join(" ", args) + ": more than one JSON document:\n" + stdout).isNull();
        } catch (IOException e) {
            throw new AssertionError(String.join(" ", args) + ": stdout is not JSON:\n" + stdout + "\nstderr:\n" + stderr.get(), e);
        }
        return new Run(process.exitValue(), json, stderr.get());
    }

    private static String read(java.io.InputStream stream) {
        try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

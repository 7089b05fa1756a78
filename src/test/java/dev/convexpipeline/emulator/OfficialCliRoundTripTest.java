package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the official {@code convex@1.48.0} CLI (src/test/convex-cli) against the emulator: export,
 * then import the ZIP back with --replace, and check ids, creation times and int64/float64 survive.
 * Tagged {@code npm} so a build without Node can exclude it explicitly
 * ({@code -Dsurefire.excludedGroups=npm}); when it runs without node/npm it fails, never skips.
 */
@Tag("npm")
class OfficialCliRoundTripTest {
    private static final Path CLI_PROJECT = Path.of("src/test/convex-cli").toAbsolutePath();
    private static final long PROCESS_TIMEOUT_SECONDS = 120;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ConvexEmulator emulator;

    @BeforeAll
    static void installCli() throws Exception {
        requireTool("node");
        requireTool("npm");
        if (!Files.isDirectory(CLI_PROJECT.resolve("node_modules/convex"))) {
            String install = Files.exists(CLI_PROJECT.resolve("package-lock.json")) ? "ci" : "install";
            Result result = run(CLI_PROJECT, Map.of(), "npm", install, "--no-audit", "--no-fund");
            assertThat(result.exitCode).as("npm %s in %s failed:\n%s", install, CLI_PROJECT, result.output).isZero();
        }
    }

    @BeforeEach
    void start() {
        emulator = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
    }

    @AfterEach
    void stop() {
        emulator.stop();
    }

    @Test
    void exportThenReplaceImportRoundTripsIdsCreationTimesAndNumberTypes(@TempDir Path temp) throws Exception {
        ObjectNode event = NODES.objectNode().put("eventId", "evt_1").put("type", "customer.subscription.updated")
                .put("livemode", false).put("processedAt", 1_790_000_000_123.0).put("outcome", "applied").putNull("reason");
        event.set("created", ConvexValues.int64(1_790_000_000L));
        emulator.insert("stripe_events", event);
        ObjectNode roundFloat = NODES.objectNode().put("key", "subscriptions").put("startedAt", 3.0);
        roundFloat.set("blob", ConvexValues.bytes(new byte[]{0, 1}));
        emulator.insert("stripe_reconcile_state", roundFloat);
        emulator.runMutation("users:upsert", NODES.objectNode().put("authSubject", "cli|alice").put("email", "a@x"));
        Map<String, String> before = allDocuments();

        Path zip = temp.resolve("snapshot.zip");
        Result export = cli("export", "--path", zip.toString());
        assertThat(export.exitCode).as("convex export output:\n%s", export.output).isZero();
        assertThat(zip).exists();

        // Change the data so the import has something to replace.
        emulator.runMutation("users:upsert", NODES.objectNode().put("authSubject", "cli|bob"));
        emulator.insert("stripe_events", NODES.objectNode().put("eventId", "evt_extra"));

        Result importResult = cli("import", "--replace", "-y", zip.toString());
        assertThat(importResult.exitCode).as("convex import output:\n%s", importResult.output).isZero();
        assertThat(importResult.output).contains("Added 3 documents");

        assertThat(allDocuments()).isEqualTo(before);
        ObjectNode imported = emulator.documents("stripe_events").get(0);
        assertThat(imported.get("created").isIntegralNumber()).as("int64 stays int64").isTrue();
        assertThat(emulator.documents("stripe_reconcile_state").get(0).get("startedAt").isDouble())
                .as("float64 3.0 stays float64").isTrue();
    }

    /** Every user document, keyed by _id, as export_json text: equal maps mean identical data. */
    private Map<String, String> allDocuments() {
        return emulator.store().latest().userTablesByNumber().stream()
                .flatMap(table -> table.documents().values().stream())
                .collect(Collectors.toMap(doc -> doc.get("_id").asText(),
                        doc -> ConvexValues.write(ConvexValues.toExportJson(doc)), (a, b) -> a, java.util.TreeMap::new));
    }

    /**
     * {@code npx convex …} from the test's npm project (it has the package.json the CLI insists on);
     * {@code --no} stops npx from ever downloading a different version.
     */
    private Result cli(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("npx", "--no", "convex"));
        command.addAll(List.of(args));
        command.addAll(List.of("--url", emulator.url(), "--admin-key", emulator.adminKey()));
        return run(CLI_PROJECT, Map.of("CI", "1"), command.toArray(String[]::new));
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(Path workDir, Map<String, String> env, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        builder.environment().remove("CONVEX_DEPLOYMENT");
        builder.environment().remove("CONVEX_DEPLOY_KEY");
        Path log = Files.createTempFile("convex-cli", ".log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        if (!process.waitFor(PROCESS_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + PROCESS_TIMEOUT_SECONDS
                    + "s; output so far:\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        Files.deleteIfExists(log);
        return new Result(process.exitValue(), output);
    }

    private static void requireTool(String tool) {
        try {
            Process process = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new AssertionError(tool + " --version failed; install Node.js 20 with npm to run this test");
            }
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(tool + " is not installed or not on PATH (" + e.getMessage()
                    + "); install Node.js 20 with npm to run the official CLI round trip");
        }
    }

}

package dev.convexpipeline.migration;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.testing.CliRun;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code migrate …} as an operator runs it: through the migration route, one JSON document with --json. */
class MigrateCommandTest {
    private static final Path CLI_PROJECT = Path.of("src/test/convex-cli").toAbsolutePath();

    @RegisterExtension
    final MigrationFixture fixture = new MigrationFixture();
    private Path config;

    @BeforeEach
    void start(@TempDir Path temp) throws Exception {
        config = temp.resolve("application.properties");
        StringBuilder text = new StringBuilder(Files.readString(Path.of("config/application.properties")))
                .append("\ncamel.main.routes-include-pattern = file:routes/*.camel.yaml\n");
        fixture.properties().forEach((key, value) -> text.append(key).append(" = ").append(value).append('\n'));
        Files.writeString(config, text);
    }

    private CliRun migrate(String... args) {
        List<String> all = new ArrayList<>(List.of("migrate"));
        all.addAll(Arrays.asList(args));
        all.addAll(List.of("--config", config.toString()));
        return CliRun.of(all);
    }

    @Test
    void runWithJsonPrintsOneDocumentAndStatusListAndVerifyAgree() throws Exception {
        CliRun run = migrate("run", "--from", fixture.source.url(), "--to", fixture.target.url(), "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode result = run.json();
        assertThat(result.path("status").asText()).isEqualTo("verified");
        assertThat(result.path("source").asText()).isEqualTo(fixture.source.url());
        assertThat(result.path("target").asText()).isEqualTo(fixture.target.url());
        assertThat(result.path("snapshot").path("backupId").asText()).isNotEmpty();
        assertThat(result.path("report")).hasSize(3).allSatisfy(t -> assertThat(t.path("status").asText()).isEqualTo("ok"));
        assertThat(result.path("progress").path("documentsWritten").asLong()).isEqualTo(29);
        assertThat(result.path("steps").toString()).contains("preflight", "snapshot", "rollback point", "import", "verify", "report");
        String id = result.path("id").asText();

        CliRun status = migrate("status", id, "--json");
        assertThat(status.json().path("status").asText()).isEqualTo("verified");
        CliRun list = migrate("list", "--json");
        assertThat(list.json().path("migrations")).singleElement().satisfies(m -> assertThat(m.path("id").asText()).isEqualTo(id));

        fixture.target.insert("users", MigrationFixture.NODES.objectNode().put("name", "intruder"));
        CliRun verify = migrate("verify", id);
        assertThat(verify.exit()).isEqualTo(MigrateCommand.EXIT_DIFFERENT);
        assertThat(verify.out()).contains("users").contains("different").contains("first differing ids");
        assertThat(verify.err()).startsWith("migrate verify: the target differs");
    }

    @Test
    void resumeRunsTheRemainingStepsThroughTheRouteAndRollbackUndoesThem() throws Exception {
        String id;
        try (Migrator migrator = fixture.migrator()) {
            // A migration that stopped after its snapshot: uploaded to the target, never confirmed.
            id = migrator.preflight(fixture.request(fixture.source.url(), null), Migrator.Confirmation.REFUSE).journal().id();
            migrator.snapshot(id);
        }
        assertThat(fixture.target.documents("users")).isEmpty();

        CliRun resumed = migrate("resume", id, "--json");

        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertThat(resumed.json().path("status").asText()).isEqualTo("verified");
        assertThat(fixture.target.documents("users")).hasSize(3);

        CliRun rollback = migrate("rollback", id, "--json");
        assertThat(rollback.exit()).isEqualTo(1);
        assertThat(rollback.err().strip()).startsWith("migrate rollback failed: rollback replaces every table of target-prod")
                .contains("--yes");
        CliRun confirmed = migrate("rollback", id, "--yes", "--json");
        assertThat(confirmed.exit()).as(confirmed.err()).isZero();
        assertThat(confirmed.json().path("status").asText()).isEqualTo("rolled_back");
        assertThat(fixture.target.documents("users")).isEmpty();
    }

    @Test
    void dryRunPrintsThePlanAndWritesNothing() throws Exception {
        CliRun run = migrate("run", "--from", fixture.source.url(), "--to", fixture.target.url(), "--dry-run");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("dry_run").contains("messages").contains("create").contains("contract");
        assertThat(fixture.target.documents("messages")).isEmpty();
        assertThat(migrate("list", "--json").json().path("migrations")).isEmpty();
    }

    @Test
    void refusalsAreOneLineAndExitOne() {
        CliRun destructive = migrate("run", "--from", fixture.source.url(), "--to", fixture.target.url(), "--mode", "replace-all");
        assertThat(destructive.exit()).isEqualTo(1);
        assertThat(destructive.err().strip()).startsWith("migrate run failed: mode replaceAll deletes documents in target-prod")
                .contains("pass --yes").doesNotContain("\n");

        CliRun refusedJson = migrate("run", "--from", fixture.source.url(), "--to", fixture.target.url(), "--mode", "replace",
                "--json");
        assertThat(refusedJson.exit()).isEqualTo(1);
        assertThat(refusedJson.out()).contains("\"status\" : \"refused\"").contains("pass --yes");

        CliRun badMode = migrate("run", "--from", fixture.source.url(), "--to", fixture.target.url(), "--mode", "overwrite");
        assertThat(badMode.err().strip()).isEqualTo(
                "migrate run failed: mode must be require-empty, append, replace or replace-all, got 'overwrite'");
        assertThat(fixture.target.documents("users")).isEmpty();
    }

    @Tag("npm")
    @Test
    void aZipFromTheOfficialCliMigratesAndTheOfficialExportOfTheTargetHasTheSourceDocuments(@TempDir Path temp) throws Exception {
        Path sourceExport = temp.resolve("source");
        Files.createDirectories(sourceExport);
        npx("export", "--path", sourceExport.toString(), "--url", fixture.source.url(), "--admin-key", fixture.source.adminKey());
        Path zip;
        try (Stream<Path> files = Files.list(sourceExport)) {
            zip = files.filter(f -> f.toString().endsWith(".zip")).findFirst().orElseThrow();
        }

        CliRun run = migrate("run", "--from", zip.toString(), "--to", fixture.target.url(), "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.json().path("status").asText()).isEqualTo("verified");
        assertThat(run.json().path("snapshot").path("instance").asText()).isEqualTo(ZipFileSnapshotSource.INSTANCE);
        Path targetExport = temp.resolve("target.zip");
        npx("export", "--path", targetExport.toString(), "--url", fixture.target.url(), "--admin-key", fixture.target.adminKey());
        assertThat(documents(Files.readAllBytes(targetExport))).isEqualTo(documents(Files.readAllBytes(zip)))
                .containsKeys("messages", "users", "orders");
    }

    /** Each table's documents.jsonl lines, sorted: equal maps mean the same documents (ids and creation times included). */
    private static Map<String, List<String>> documents(byte[] zip) throws IOException {
        Map<String, List<String>> tables = new TreeMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                String name = entry.getName();
                if (name.endsWith("/documents.jsonl") && !name.startsWith("_")) {
                    String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    tables.put(name.substring(0, name.indexOf('/')), text.lines().filter(l -> !l.isBlank()).sorted().toList());
                }
            }
        }
        return tables;
    }

    private static void npx(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("npx", "--no", "convex"));
        command.addAll(Arrays.asList(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(CLI_PROJECT.toFile()).redirectErrorStream(true);
        builder.environment().put("CI", "1");
        builder.environment().remove("CONVEX_DEPLOYMENT");
        builder.environment().remove("CONVEX_DEPLOY_KEY");
        Path log = Files.createTempFile("convex-cli", ".log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("npx convex %s finished", args[0]).isTrue();
        String output = Files.readString(log);
        Files.deleteIfExists(log);
        assertThat(process.exitValue()).as("npx convex %s:\n%s", String.join(" ", args), output).isZero();
    }
}

package dev.convexpipeline.pitr;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.backup.BackupManifest;
import dev.convexpipeline.backup.LocalDirectoryTarget;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.convex.ImportMode;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.migration.MigrationMetrics;
import dev.convexpipeline.migration.MigrationSettings;
import dev.convexpipeline.migration.Migrator;
import dev.convexpipeline.testing.CliRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code restore} and {@code backup list} as an operator runs them: the plan, the refusals, a real
 * restore verified by read-back, and the official Convex CLI exporting the restored deployment.
 */
class RestoreCommandTest {
    private static final Path CLI_PROJECT = Path.of("src/test/convex-cli").toAbsolutePath();

    @TempDir
    Path temp;

    private PitrFixture fixture;
    private ConvexEmulator target;
    private Path config;
    private PitrFixture.Moment moment;
    private BackupManifest base;

    @BeforeEach
    void setUp() throws Exception {
        Path backups = temp.resolve("backups");
        fixture = new PitrFixture(new LocalDirectoryTarget(backups), temp);
        String first = fixture.insert("messages", "m0", 0);
        fixture.insert("messages", "m1", 1);
        base = fixture.backup();
        ChangeCapture capture = fixture.capture();
        fixture.patch(first, 10);
        fixture.insert("audit", "created-after-base", 1);
        moment = PitrFixture.read(fixture.client);
        capture.captureOnce();
        fixture.insert("messages", "after-the-moment", 2);
        capture.captureOnce();

        target = PitrFixture.emulator("restore-target");
        target.insert("stale", ConvexValues.MAPPER.createObjectNode().put("x", 1));
        config = temp.resolve("application.properties");
        Files.writeString(config, Files.readString(Path.of("config/application.properties"))
                + "\nbackup.target = file:" + backups + "\nbackup.instance = " + PitrFixture.INSTANCE
                + "\nconvex.url = " + fixture.source.url() + "\nconvex.admin-key = " + fixture.source.adminKey()
                + "\nchanges.spill-directory = " + temp + "\n");
    }

    @AfterEach
    void tearDown() {
        target.stop();
        fixture.close();
    }

    /** {@code restore --yes --json} of the moment at {@code at} into the target: exits 0 and reports it verified. */
    private JsonNode restoreVerified(String at) throws Exception {
        CliRun restore = run("restore", "--to", target.url(), "--at", at, "--yes", "--json",
                "--target-key-file", keyFile().toString());
        assertThat(restore.exit()).as(restore.err()).isZero();
        JsonNode report = restore.json();
        assertThat(report.path("verified").asBoolean()).isTrue();
        return report;
    }

    private CliRun run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--config", config.toString()));
        return CliRun.of(all);
    }

    @Test
    void backupListShowsTheRestorableWindow() throws Exception {
        CliRun text = run("backup", "list");
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.out()).contains("Restorable windows").contains(base.snapshotTime()).contains("2 segment(s)");

        CliRun json = run("backup", "list", "--json");
        JsonNode windows = json.json().path("restorableWindows");
        assertThat(windows).hasSize(1);
        assertThat(windows.get(0).path("fromTs").asLong()).isEqualTo(base.snapshotTs());
        assertThat(windows.get(0).path("toTs").asLong()).isGreaterThan(moment.ts());
    }

    @Test
    void dryRunPrintsTheBaseTheSegmentsAndTheCountsAsOneJsonDocument() throws Exception {
        CliRun run = run("restore", "--to", target.url(), "--at", Long.toString(moment.ts()), "--dry-run", "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode plan = run.json();
        assertThat(plan.path("dryRun").asBoolean()).isTrue();
        assertThat(plan.path("base").path("id").asText()).isEqualTo(base.id());
        assertThat(plan.path("segments")).hasSize(1);
        assertThat(plan.path("tables").path("messages").path("documents").asLong()).isEqualTo(2);
        assertThat(plan.path("tables").path("audit").path("documents").asLong()).isEqualTo(1);
        assertThat(target.documents("stale")).as("a dry run writes nothing").hasSize(1);

        CliRun text = run("restore", "--to", target.url(), "--at", BackupLayoutTime.iso(moment.ts()), "--dry-run");
        assertThat(text.out()).contains("base backup   " + base.id()).contains("dry run: nothing was written");
    }

    @Test
    void refusesWithoutKeyWithoutConfirmationAndForABadMomentChangingNothing() {
        CliRun noKey = run("restore", "--to", target.url(), "--at", Long.toString(moment.ts()), "--yes");
        assertThat(noKey.exit()).isEqualTo(1);
        assertThat(noKey.err()).startsWith("restore failed: the target's admin key is missing")
                .contains("RESTORE_TARGET_ADMIN_KEY");

        CliRun unconfirmed = run("restore", "--to", target.url(), "--at", Long.toString(moment.ts()),
                "--target-key-file", keyFile().toString());
        assertThat(unconfirmed.exit()).isEqualTo(1);
        assertThat(unconfirmed.err()).startsWith("restore failed: ").contains("--yes");

        CliRun badTime = run("restore", "--to", target.url(), "--at", "yesterday", "--dry-run");
        assertThat(badTime.exit()).isEqualTo(1);
        assertThat(badTime.err()).startsWith("restore failed: --at must be an ISO-8601");

        CliRun beforeEverything = run("restore", "--to", target.url(), "--at", Long.toString(base.snapshotTs() - 1), "--dry-run");
        assertThat(beforeEverything.exit()).isEqualTo(1);
        assertThat(beforeEverything.err()).startsWith("restore failed: ").contains("outside every restorable window");
        assertThat(target.documents("stale")).hasSize(1);
    }

    @Tag("npm")
    @Test
    void restoresVerifiesAndTheOfficialCliExportsTheRestoredDeployment() throws Exception {
        restoreVerified(Long.toString(moment.ts()));
        try (ConvexClient client = PitrFixture.client(target)) {
            assertThat(PitrFixture.read(client).tables()).isEqualTo(moment.tables());
        }

        Path zip = temp.resolve("exported.zip");
        ProcessBuilder builder = new ProcessBuilder("npx", "--no", "convex", "export", "--path", zip.toString(),
                "--url", target.url(), "--admin-key", target.adminKey())
                .directory(CLI_PROJECT.toFile()).redirectErrorStream(true);
        builder.environment().put("CI", "1");
        builder.environment().remove("CONVEX_DEPLOYMENT");
        builder.environment().remove("CONVEX_DEPLOY_KEY");
        Path log = temp.resolve("cli.log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("npx convex export finished").isTrue();
        String output = Files.readString(log);
        assertThat(process.exitValue()).as("npx convex export output:\n%s", output).isZero();
        assertThat(output).doesNotContainIgnoringCase("error").doesNotContainIgnoringCase("warn");
        assertThat(zip).exists();
        assertThat(Map.of("size", Files.size(zip))).extractingByKey("size").asInstanceOf(
                org.assertj.core.api.InstanceOfAssertFactories.LONG).isPositive();
    }

    @Test
    void migrateRunFromAMomentIntoAFreshDeploymentVerifiesAndEqualsTheRecordedState() throws Exception {
        ConvexEmulator fresh = PitrFixture.emulator("fresh-target");
        try (ConvexClient client = PitrFixture.client(fresh)) {
            CliRun run = run("migrate", "run", "--from", BackupLayoutTime.iso(moment.ts()), "--to", fresh.url(), "--json",
                    "--target-key-file", keyFile(fresh).toString());
            assertThat(run.exit()).as(run.err()).isZero();
            JsonNode journal = run.json();
            assertThat(journal.path("status").asText()).isEqualTo("verified");
            assertThat(journal.path("source").asText()).isEqualTo(BackupLayoutTime.iso(moment.ts()));
            assertThat(journal.path("snapshot").path("instance").asText()).isEqualTo(PitrFixture.INSTANCE + ".point-in-time");
            assertThat(journal.path("snapshot").path("backupId").asText()).isEqualTo(Long.toString(moment.ts()));
            assertThat(PitrFixture.read(client).tables()).isEqualTo(moment.tables());

            // The same moment again (as a snapshot ts): its stored state is reused, not materialized a second time.
            CliRun again = run("migrate", "run", "--from", "at:" + moment.ts(), "--to", fresh.url(), "--mode", "replace-all",
                    "--yes", "--json", "--target-key-file", keyFile(fresh).toString());
            assertThat(again.exit()).as(again.err()).isZero();
            assertThat(again.json().path("snapshot").path("sha256").asText())
                    .isEqualTo(journal.path("snapshot").path("sha256").asText());
            assertThat(materializedZips()).hasSize(1);
            assertThat(PitrFixture.read(client).tables()).isEqualTo(moment.tables());
        } finally {
            fresh.stop();
        }
    }

    @Test
    void aRestoreIsAMigrationThatMigrateRollbackUndoes() throws Exception {
        JsonNode report = restoreVerified(BackupLayoutTime.iso(moment.ts()));
        assertThat(report.path("rollbackPoint").path("instance").asText()).isEqualTo("restore-target");
        String id = report.path("migrationId").asText();
        assertThat(id).startsWith("m-");
        assertThat(target.documents("stale")).as("replace-all cleared a table the moment does not have").isEmpty();

        CliRun status = run("migrate", "status", id, "--json");
        assertThat(status.exit()).as(status.err()).isZero();
        assertThat(status.json().path("status").asText()).isEqualTo("verified");

        CliRun rollback = run("migrate", "rollback", id, "--yes", "--json", "--target-key-file", keyFile().toString());
        assertThat(rollback.exit()).as(rollback.err()).isZero();
        assertThat(rollback.json().path("status").asText()).isEqualTo("rolled_back");
        assertThat(target.documents("stale")).hasSize(1);
        assertThat(target.documents("messages")).isEmpty();
        assertThat(target.documents("audit")).isEmpty();
    }

    @Test
    void aRestoreKilledBeforeItsImportIsFinishedByMigrateResumeImportingOnce() throws Exception {
        dev.convexpipeline.app.SettingsSource properties = dev.convexpipeline.app.ConfigFile.settings(config);
        String id;
        try (Migrator migrator = new Migrator(MigrationSettings.load(properties).withTargetKey(target.adminKey()),
                java.time.Clock.systemUTC(), new MigrationMetrics())) {
            Migrator.Request request = new Migrator.Request(Migrator.pointInTime(moment.ts()), target.url(), List.of(),
                    ImportMode.REPLACE_ALL, false, false, true, false, null, null);
            id = migrator.preflight(request, Migrator.Confirmation.REFUSE).journal().id();
            migrator.snapshot(id);
            migrator.rollbackPoint(id);
            // The process dies here: the state and the rollback point are stored, nothing is imported.
        }
        assertThat(target.documents("stale")).hasSize(1);
        assertThat(target.documents("messages")).isEmpty();

        CliRun resume = run("migrate", "resume", id, "--json", "--target-key-file", keyFile().toString());
        assertThat(resume.exit()).as(resume.err()).isZero();
        JsonNode journal = resume.json();
        assertThat(journal.path("status").asText()).isEqualTo("verified");
        long documents = moment.tables().values().stream().mapToLong(Map::size).sum();
        assertThat(journal.path("progress").path("documentsWritten").asLong()).as("imported once").isEqualTo(documents);
        assertThat(materializedZips()).as("the state was materialized once").hasSize(1);
        try (ConvexClient client = PitrFixture.client(target)) {
            assertThat(PitrFixture.read(client).tables()).isEqualTo(moment.tables());
        }
    }

    private List<String> materializedZips() throws Exception {
        try (var storage = new LocalDirectoryTarget(temp.resolve("backups"))) {
            return storage.list(PitrFixture.INSTANCE + ".point-in-time/").stream().map(o -> o.key())
                    .filter(key -> key.endsWith(".zip")).toList();
        }
    }

    private Path keyFile() {
        return keyFile(target);
    }

    private Path keyFile(ConvexEmulator deployment) {
        try {
            Path file = temp.resolve(deployment.instanceName() + ".key");
            Files.writeString(file, deployment.adminKey() + "\n");
            return file;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** ISO-8601 of a snapshot timestamp, as an operator would type it. */
    private static final class BackupLayoutTime {
        static String iso(long ts) {
            return dev.convexpipeline.backup.BackupLayout.toInstant(ts).toString();
        }
    }
}

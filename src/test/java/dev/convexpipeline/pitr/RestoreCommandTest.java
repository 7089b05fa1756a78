package dev.convexpipeline.pitr;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.PipelineCli;
import dev.convexpipeline.backup.BackupManifest;
import dev.convexpipeline.backup.LocalDirectoryTarget;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
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

        target = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
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

    private record Run(int exit, String out, String err) {
    }

    private Run run(String... args) {
        CommandLine cli = PipelineCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--config", config.toString()));
        int exit = cli.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void backupListShowsTheRestorableWindow() throws Exception {
        Run text = run("backup", "list");
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.out()).contains("Restorable windows").contains(base.snapshotTime()).contains("2 segment(s)");

        Run json = run("backup", "list", "--json");
        JsonNode windows = ConvexValues.MAPPER.readTree(json.out()).path("restorableWindows");
        assertThat(windows).hasSize(1);
        assertThat(windows.get(0).path("fromTs").asLong()).isEqualTo(base.snapshotTs());
        assertThat(windows.get(0).path("toTs").asLong()).isGreaterThan(moment.ts());
    }

    @Test
    void dryRunPrintsTheBaseTheSegmentsAndTheCountsAsOneJsonDocument() throws Exception {
        Run run = run("restore", "--to", target.url(), "--at", Long.toString(moment.ts()), "--dry-run", "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode plan = ConvexValues.MAPPER.readTree(run.out());
        assertThat(plan.path("dryRun").asBoolean()).isTrue();
        assertThat(plan.path("base").path("id").asText()).isEqualTo(base.id());
        assertThat(plan.path("segments")).hasSize(1);
        assertThat(plan.path("tables").path("messages").path("documents").asLong()).isEqualTo(2);
        assertThat(plan.path("tables").path("audit").path("documents").asLong()).isEqualTo(1);
        assertThat(target.documents("stale")).as("a dry run writes nothing").hasSize(1);

        Run text = run("restore", "--to", target.url(), "--at", BackupLayoutTime.iso(moment.ts()), "--dry-run");
        assertThat(text.out()).contains("base backup   " + base.id()).contains("dry run: nothing was written");
    }

    @Test
    void refusesWithoutKeyWithoutConfirmationAndForABadMomentChangingNothing() {
        Run noKey = run("restore", "--to", target.url(), "--at", Long.toString(moment.ts()), "--yes");
        assertThat(noKey.exit()).isEqualTo(1);
        assertThat(noKey.err()).startsWith("restore failed: the target's admin key is missing")
                .contains("RESTORE_TARGET_ADMIN_KEY");

        Run unconfirmed = run("restore", "--to", target.url(), "--at", Long.toString(moment.ts()),
                "--target-key-file", keyFile().toString());
        assertThat(unconfirmed.exit()).isEqualTo(1);
        assertThat(unconfirmed.err()).startsWith("restore failed: ").contains("--yes");

        Run badTime = run("restore", "--to", target.url(), "--at", "yesterday", "--dry-run");
        assertThat(badTime.exit()).isEqualTo(1);
        assertThat(badTime.err()).startsWith("restore failed: --at must be an ISO-8601");

        Run beforeEverything = run("restore", "--to", target.url(), "--at", Long.toString(base.snapshotTs() - 1), "--dry-run");
        assertThat(beforeEverything.exit()).isEqualTo(1);
        assertThat(beforeEverything.err()).startsWith("restore failed: ").contains("outside every restorable window");
        assertThat(target.documents("stale")).hasSize(1);
    }

    @Tag("npm")
    @Test
    void restoresVerifiesAndTheOfficialCliExportsTheRestoredDeployment() throws Exception {
        Run run = run("restore", "--to", target.url(), "--at", Long.toString(moment.ts()), "--yes", "--json",
                "--target-key-file", keyFile().toString());
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode report = ConvexValues.MAPPER.readTree(run.out());
        assertThat(report.path("verified").asBoolean()).isTrue();
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

    private Path keyFile() {
        try {
            Path file = temp.resolve("target.key");
            Files.writeString(file, target.adminKey() + "\n");
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

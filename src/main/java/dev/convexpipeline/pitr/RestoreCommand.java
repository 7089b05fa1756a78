package dev.convexpipeline.pitr;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.convexpipeline.app.ConfigOption;
import dev.convexpipeline.app.EnvironmentFiles;
import dev.convexpipeline.app.SettingsSource;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.backup.SnapshotScanner;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.ImportMode;
import dev.convexpipeline.migration.MigrateCommand;
import dev.convexpipeline.migration.MigrationJournal;
import dev.convexpipeline.migration.MigrationMetrics;
import dev.convexpipeline.migration.MigrationRoute;
import dev.convexpipeline.migration.MigrationSettings;
import dev.convexpipeline.migration.MigrationStatus;
import dev.convexpipeline.migration.Migrator;
import dev.convexpipeline.migration.SnapshotRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * {@code restore --to URL --at <time>}: point-in-time restore into a deployment from the newest base
 * backup at or before the moment plus the captured changes up to it. Destructive (the target's
 * tables are replaced), so it asks unless {@code --yes}. The target's admin key comes from
 * {@code RESTORE_TARGET_ADMIN_KEY} or {@code --target-key-file}, never from the command line.
 *
 * <p>A restore is a migration from the moment ({@code migrate run --from <time> --mode replace-all},
 * or {@code replace} with {@code --tables}) sent through the same route: preflight, the state stored as
 * a pinned backup, rollback point, import, verification, journal; {@code migrate resume|rollback <id>}
 * work on it. A dry run only reads the storage and needs no key.
 *
 * <p>Exit codes: 0 restored and verified (or dry run), 1 failed, 2 usage, 3 restored but the
 * read-back differs.
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = "Restore a deployment to its state at a moment (a base backup plus the captured changes).")
public final class RestoreCommand implements Callable<Integer> {
    static final String KEY_VARIABLE = "RESTORE_TARGET_ADMIN_KEY";
    public static final int EXIT_VERIFY_FAILED = 3;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Mixin
    ConfigOption config;

    @Option(names = "--to", required = true, paramLabel = "URL", description = "Deployment to restore into.")
    String to;

    @Option(names = "--at", required = true, paramLabel = "<time>",
            description = "ISO-8601 UTC time (2026-12-03T21:15:00Z) or Convex snapshot timestamp (ns).")
    String at;

    @Option(names = "--tables", split = ",", paramLabel = "a,b",
            description = "Only these tables (others in the target stay as they are).")
    List<String> tables;

    @Option(names = "--dry-run", description = "Print the base, the segments and the per-table counts; change nothing.")
    boolean dryRun;

    @Option(names = "--yes", description = "Do not ask before replacing the target's data.")
    boolean yes;

    @Option(names = "--json", description = "Print one JSON document for machines.")
    boolean json;

    @Option(names = "--target-key-file", paramLabel = "FILE",
            description = "File holding the target's admin key (else " + KEY_VARIABLE + ").")
    Path targetKeyFile;

    @Spec
    CommandSpec spec;

    /** Environment lookup; tests replace it. */
    Function<String, String> environment = System::getenv;

    @Override
    public Integer call() throws Exception {
        if (json) {
            org.apache.logging.log4j.core.config.Configurator.setRootLevel(org.apache.logging.log4j.Level.WARN);
        }
        PrintWriter out = spec.commandLine().getOut();
        long atTs = RestorePlanner.parseMoment(at);
        Set<String> only = tables == null ? null : new LinkedHashSet<>(tables.stream().map(String::trim)
                .filter(t -> !t.isEmpty()).toList());
        SettingsSource source = config.settings();
        PitrSettings settings = PitrSettings.load(source);
        RestorePlan plan;
        try (BackupTarget storage = settings.backup().createTarget()) {
            RestoreService service = new RestoreService(storage, settings.layout(), settings.spillDirectory());
            if (dryRun) {
                print(out, service.dryRun(atTs, only));
                return 0;
            }
            plan = service.planner().plan(atTs);
        }
        String key = targetKey();
        String url = ConvexClientConfig.of(to, key).deploymentUrl().toString();
        if (!yes && !confirmed(url, atTs, only)) {
            throw new IllegalStateException("not confirmed; nothing was changed");
        }
        MigrateCommand.logToStandardError();
        long started = System.nanoTime();
        Migrator.Request request = new Migrator.Request(Migrator.pointInTime(atTs), to,
                only == null ? List.of() : List.copyOf(only), only == null ? ImportMode.REPLACE_ALL : ImportMode.REPLACE,
                false, false, true, false, null, null);
        MigrationJournal journal;
        try (Migrator migrator = new Migrator(MigrationSettings.load(source).withTargetKey(key), Clock.systemUTC(),
                new MigrationMetrics())) {
            journal = MigrationRoute.run(migrator, source, request);
        }
        if (journal.status() == MigrationStatus.FAILED) {
            throw new IllegalStateException("migration " + journal.id() + ": " + journal.error() + "; `migrate resume "
                    + journal.id() + "` continues it");
        }
        Restored restored = new Restored(plan, url, journal, (System.nanoTime() - started) / 1_000_000);
        print(out, restored);
        return restored.verified() ? 0 : EXIT_VERIFY_FAILED;
    }

    /** What a restore did: the plan it was built from and the migration that imported and verified it. */
    record Restored(RestorePlan plan, String target, MigrationJournal journal, long millis) {
        boolean verified() {
            return journal.status() == MigrationStatus.VERIFIED;
        }

        /** The restored tables: the stored state's, narrowed to --tables. */
        Map<String, SnapshotRecord.Table> tables() {
            Map<String, SnapshotRecord.Table> tables = new TreeMap<>();
            journal.snapshot().tables().forEach((table, stats) -> {
                if (SnapshotScanner.isUserTable(table) && (journal.tables().isEmpty() || journal.tables().contains(table))) {
                    tables.put(table, stats);
                }
            });
            return tables;
        }

        List<String> differences() {
            return journal.report().stream().filter(t -> !"ok".equals(t.status()))
                    .map(t -> t.table() + ": " + t.targetAfter() + " documents, expected " + t.snapshotDocuments()
                            + (t.differingIds().isEmpty() ? "" : " (first differing ids " + String.join(", ", t.differingIds()) + ")"))
                    .toList();
        }
    }

    private String targetKey() throws Exception {
        if (targetKeyFile != null) {
            String key = EnvironmentFiles.readSecret("--target-key-file", targetKeyFile);
            if (key.isEmpty()) {
                throw new IllegalArgumentException("--target-key-file " + targetKeyFile + " is empty");
            }
            return key;
        }
        String key = environment.apply(KEY_VARIABLE);
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("the target's admin key is missing: set " + KEY_VARIABLE
                    + " or pass --target-key-file (never on the command line)");
        }
        return key.trim();
    }

    private boolean confirmed(String url, long atTs, Set<String> only) throws Exception {
        if (json || System.console() == null) {
            throw new IllegalStateException("restoring replaces " + (only == null ? "every table" : "tables " + only)
                    + " in " + url + "; pass --yes to confirm (there is no terminal to ask on)");
        }
        PrintWriter err = spec.commandLine().getErr();
        err.printf("This replaces %s in %s with the state at %s. Type the URL to go on: ",
                only == null ? "ALL data" : "tables " + only, url, ChangeCatalog.iso(atTs));
        err.flush();
        String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        return url.equals(answer == null ? null : answer.trim());
    }

    private void print(PrintWriter out, RestoreService.Report report) throws Exception {
        RestorePlan plan = report.plan();
        if (json) {
            out.println(JSON.writeValueAsString(toJson(report)));
            out.flush();
            return;
        }
        out.printf("restore plan for %s (%d)%n", ChangeCatalog.iso(plan.atTs()), plan.atTs());
        printPlan(out, plan);
        out.printf("  changes       %d applied to %d documents%n", report.written().changesApplied(), report.written().changedIds());
        out.printf("  %-32s  %10s  %s%n", "TABLE", "DOCUMENTS", "DIGEST");
        report.written().tables().forEach((table, stats) ->
                out.printf("  %-32s  %10d  %s%n", table, stats.documents(), stats.digest()));
        out.printf("  %d tables, %d documents%n", report.written().tables().size(), report.written().documents());
        out.println("dry run: nothing was written");
        out.flush();
    }

    private void print(PrintWriter out, Restored restored) throws Exception {
        MigrationJournal journal = restored.journal();
        if (json) {
            out.println(JSON.writeValueAsString(toJson(restored)));
            out.flush();
            return;
        }
        out.printf("restored %s to %s (%d)%n", restored.target(), ChangeCatalog.iso(restored.plan().atTs()), restored.plan().atTs());
        out.printf("  migration     %s (%s); `migrate status %s` shows its journal%n", journal.id(),
                journal.status().name().toLowerCase(java.util.Locale.ROOT), journal.id());
        printPlan(out, restored.plan());
        out.printf("  state         backup %s of %s (pinned), sha256 %s%n", journal.snapshot().backupId(),
                journal.snapshot().instance(), journal.snapshot().sha256());
        out.printf("  rollback      backup %s of %s (pinned): `migrate rollback %s` undoes this restore%n",
                journal.rollbackPoint(), journal.rollbackPointInstance(), journal.id());
        out.printf("  %-32s  %10s  %s%n", "TABLE", "DOCUMENTS", "DIGEST");
        Map<String, SnapshotRecord.Table> tables = restored.tables();
        tables.forEach((table, stats) -> out.printf("  %-32s  %10d  %s%n", table, stats.documents(), stats.digest()));
        out.printf("  %d tables, %d documents%n", tables.size(), tables.values().stream().mapToLong(SnapshotRecord.Table::documents).sum());
        if (restored.verified()) {
            out.printf("verified: every table's count and digest read back as written (%d ms)%n", restored.millis());
        } else {
            out.println("VERIFICATION FAILED: the target does not read back as written:");
            restored.differences().forEach(d -> out.println("  " + d));
        }
        out.flush();
    }

    private static void printPlan(PrintWriter out, RestorePlan plan) {
        out.printf("  base backup   %s (%s)%n", plan.base().id(), plan.base().snapshotTime());
        out.printf("  segments      %d%s%n", plan.segments().size(), plan.segments().isEmpty() ? ""
                : " (" + ChangeCatalog.iso(plan.segments().get(0).segment().fromTs()) + " .. "
                + ChangeCatalog.iso(plan.segments().get(plan.segments().size() - 1).segment().toTs()) + ")");
        for (RestorePlan.PlannedSegment segment : plan.segments()) {
            out.printf("    %s  %d changes%n", segment.segment().key(), segment.manifest().documents());
        }
    }

    private static Map<String, Object> planJson(RestorePlan plan, boolean dryRun, String target) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("dryRun", dryRun);
        result.put("at", ChangeCatalog.iso(plan.atTs()));
        result.put("atTs", plan.atTs());
        result.put("target", target);
        result.put("base", Map.of("id", plan.base().id(), "snapshotTime", plan.base().snapshotTime().toString()));
        result.put("segments", plan.segments().stream().map(s -> Map.of("key", s.segment().key(), "fromTs", s.segment().fromTs(),
                "toTs", s.segment().toTs(), "documents", s.manifest().documents())).toList());
        return result;
    }

    static Map<String, Object> toJson(RestoreService.Report report) {
        Map<String, Object> result = planJson(report.plan(), true, null);
        result.put("changesApplied", report.written().changesApplied());
        result.put("changedDocuments", report.written().changedIds());
        Map<String, Object> tables = new LinkedHashMap<>();
        report.written().tables().forEach((table, stats) -> tables.put(table, Map.of("documents", stats.documents(),
                "digest", stats.digest())));
        result.put("tables", tables);
        result.put("documents", report.written().documents());
        result.put("millis", report.millis());
        return result;
    }

    static Map<String, Object> toJson(Restored restored) {
        MigrationJournal journal = restored.journal();
        Map<String, Object> result = planJson(restored.plan(), false, restored.target());
        result.put("migrationId", journal.id());
        result.put("status", journal.status().name().toLowerCase(java.util.Locale.ROOT));
        result.put("state", Map.of("instance", journal.snapshot().instance(), "backupId", journal.snapshot().backupId(),
                "sha256", journal.snapshot().sha256()));
        result.put("rollbackPoint", Map.of("instance", journal.rollbackPointInstance(), "backupId", journal.rollbackPoint()));
        Map<String, Object> tables = new LinkedHashMap<>();
        restored.tables().forEach((table, stats) -> tables.put(table, Map.of("documents", stats.documents(),
                "digest", stats.digest())));
        result.put("tables", tables);
        result.put("documents", restored.tables().values().stream().mapToLong(SnapshotRecord.Table::documents).sum());
        result.put("imported", journal.documentsWritten());
        result.put("verified", restored.verified());
        result.put("differences", restored.differences());
        result.put("millis", restored.millis());
        return result;
    }
}

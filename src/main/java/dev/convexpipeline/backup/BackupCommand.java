package dev.convexpipeline.backup;

import dev.convexpipeline.JsonOutput;

import dev.convexpipeline.app.VerbGroup;
import dev.convexpipeline.pitr.ChangeRetention;
import dev.convexpipeline.pitr.RestorableWindows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code backup <verb>}: the operator's side of snapshot backups, one verb per action like
 * pgBackRest and restic. Every verb reads config/application.properties (environment overrides
 * apply) and talks to Convex and the storage directly; the pipeline need not be running.
 *
 * <p>Exit codes: 0 success, 1 the command failed (reason on one line), 2 usage error,
 * 3 {@code verify} found a difference.
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = "Snapshot backups of the Convex deployment: run, list, verify, prune, pin, unpin.",
        subcommands = {BackupCommand.Run.class, BackupCommand.ListBackups.class, BackupCommand.Verify.class,
                BackupCommand.Prune.class, BackupCommand.Pin.class, BackupCommand.Unpin.class})
public final class BackupCommand extends VerbGroup {
    public static final int EXIT_VERIFY_FAILED = 3;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    BackupService open() {
        return BackupSettings.load(settings()).createService(new BackupMetrics(), Clock.systemUTC());
    }

    abstract static class Verb extends dev.convexpipeline.app.Verb implements Callable<Integer> {
        @ParentCommand
        BackupCommand parent;

        @Override
        public Integer call() throws Exception {
            try (BackupService service = parent.open()) {
                int code = call(service);
                out().flush();
                return code;
            }
        }

        abstract int call(BackupService service) throws Exception;
    }

    /** A verb with machine-readable output next to its table. */
    abstract static class JsonVerb extends Verb {
        @Mixin
        JsonOutput json;
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Take a backup now (export, stream to storage, manifest).")
    static final class Run extends JsonVerb {

        @Override
        int call(BackupService service) throws Exception {
            BackupManifest manifest = service.run();
            if (json.enabled()) {
                json.print(manifest);
            } else {
                out().printf("backup %s done: %s, %d bytes, %d tables, %d documents, sha256 %s%n  stored in %s as %s%n",
                        manifest.id(), manifest.snapshotTime(), manifest.zip().bytes(), manifest.userTables(),
                        manifest.documents(), manifest.zip().sha256(), service.target().describe(),
                        service.layout().key(manifest.snapshotTs(), BackupLayout.Kind.ZIP));
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List backups, newest first, read from the storage itself.")
    static final class ListBackups extends JsonVerb {

        @Override
        int call(BackupService service) throws Exception {
            BackupCatalog.Listing listing = service.list();
            List<BackupSummary> rows = listing.backups().stream().map(entry -> BackupSummary.of(entry, service.target())).toList();
            List<RestorableWindows.Window> windows = RestorableWindows.of(service.target(), service.layout(), listing.backups());
            if (json.enabled()) {
                json.print(Map.of("target", service.target().describe(), "instance", service.layout().instance(),
                        "backups", rows, "incomplete", listing.incomplete().stream().map(StoredObject::key).toList(),
                        "restorableWindows", windows));
                return 0;
            }
            out().printf("%-20s  %-27s  %10s  %6s  %10s  %-8s  %s%n", "ID", "SNAPSHOT (UTC)", "SIZE", "TABLES", "DOCUMENTS",
                    "VERIFIED", "PINNED");
            for (BackupSummary row : rows) {
                out().printf("%-20s  %-27s  %10s  %6d  %10d  %-8s  %s%s%n", row.id(), row.snapshotTime(), human(row.bytes()),
                        row.tables(), row.documents(), row.verified(), row.pinned() ? "pinned" : "-",
                        row.problem() == null ? "" : "  PROBLEM: " + row.problem());
            }
            out().printf("%d backup(s) of %s in %s%n", rows.size(), service.layout().instance(), service.target().describe());
            if (!listing.incomplete().isEmpty()) {
                out().printf("%d incomplete upload(s) without manifest (not backups; prune removes them after a day)%n",
                        listing.incomplete().size());
            }
            RestorableWindows.print(out(), windows);
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Re-read a backup and check its SHA-256, ZIP structure, every JSONL line, counts and digests."
                    + " Exit code 3 when anything differs.")
    static final class Verify extends JsonVerb {
        @Parameters(paramLabel = "<id|latest>", description = "Backup id (from `backup list`) or latest.")
        String id;


        @Override
        int call(BackupService service) throws Exception {
            VerifyReport report = service.verify(id);
            if (json.enabled()) {
                json.print(report);
            } else if (report.ok()) {
                out().printf("backup %s OK: %d bytes, sha256 %s, %d tables, %d documents, every line parsed (%d ms)%n",
                        report.id(), report.bytes(), report.sha256(), report.tables(), report.documents(), report.millis());
            } else {
                out().printf("backup %s FAILED verification: %s%n", report.id(), report.firstDifference());
                report.differences().stream().skip(1).forEach(d -> out().printf("  also: %s%n", d));
            }
            return report.ok() ? 0 : EXIT_VERIFY_FAILED;
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = "Delete backups older than BACKUP_RETENTION_DAYS, keeping the newest BACKUP_KEEP_LAST and pinned ones.")
    static final class Prune extends JsonVerb {
        @Option(names = "--dry-run", description = "Only show what would be deleted.")
        boolean dryRun;


        @Override
        int call(BackupService service) throws Exception {
            PruneReport report = service.prune(dryRun);
            List<String> changeLog = ChangeRetention.prune(service.target(), service.layout(), java.time.Instant.now(), dryRun);
            if (json.enabled()) {
                json.print(report.toJson(changeLog));
                return 0;
            }
            String verb = dryRun ? "would delete" : "deleted";
            for (RetentionPolicy.Decision d : report.decisions()) {
                out().printf("%-12s  %-20s  %-27s  %s%n", d.delete() ? verb : "keep", d.backup().id(),
                        d.backup().snapshotTime(), d.reason());
            }
            for (String leftover : report.incomplete()) {
                out().printf("%-12s  %s  (incomplete upload, no manifest)%n", verb, leftover);
            }
            out().printf("%s %d of %d backup(s)%s%n", verb, report.deleted(), report.decisions().size(),
                    dryRun ? " (dry run: nothing deleted)" : "");
            out().printf("%s %d change-log object(s) no remaining backup can use%n", verb, changeLog.size());
            return 0;
        }
    }

    /** Pin and unpin differ only in the marker's presence. */
    abstract static class PinVerb extends Verb {
        @Parameters(paramLabel = "<id|latest>")
        String id;

        abstract boolean pinned();

        @Override
        int call(BackupService service) throws Exception {
            BackupEntry entry = service.setPinned(id, pinned());
            out().printf("backup %s (%s) %s%n", entry.id(), entry.snapshotTime(), pinned() ? "pinned" : "unpinned");
            return 0;
        }
    }

    @Command(name = "pin", mixinStandardHelpOptions = true, description = "Keep a backup forever (prune never deletes it).")
    static final class Pin extends PinVerb {
        @Override
        boolean pinned() {
            return true;
        }
    }

    @Command(name = "unpin", mixinStandardHelpOptions = true, description = "Let retention delete a backup again.")
    static final class Unpin extends PinVerb {
        @Override
        boolean pinned() {
            return false;
        }
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format("%.1f %s", value, units[unit]);
    }
}

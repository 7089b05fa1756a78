package dev.convexpipeline.migration;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.convexpipeline.app.VerbGroup;
import dev.convexpipeline.app.SettingsSource;
import dev.convexpipeline.convex.ImportMode;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.layout.PatternLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code migrate <verb>}: replay a snapshot into a Convex deployment, verify it, roll it back.
 * Reads config/application.properties like {@code backup}; the snapshots, rollback points and
 * journals live in the backup storage. Admin keys come from the environment or key files only.
 *
 * <p>Exit codes: 0 done, 1 failed or refused (one line on stderr), 2 usage, 3 verify found a difference.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Replay a snapshot into a Convex deployment, verify it, roll it back: run, verify, status, list, resume, rollback.",
        subcommands = {MigrateCommand.Run.class, MigrateCommand.Verify.class, MigrateCommand.Status.class,
                MigrateCommand.ListMigrations.class, MigrateCommand.Resume.class, MigrateCommand.Rollback.class})
public final class MigrateCommand extends VerbGroup {
    public static final int EXIT_DIFFERENT = 3;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    abstract static class Verb extends dev.convexpipeline.app.Verb implements Callable<Integer> {
        @ParentCommand
        MigrateCommand parent;

        @Option(names = "--json", description = "Print one JSON document on stdout (logs go to stderr).")
        boolean json;

        @Option(names = "--source-key-file", description = "File holding the source's admin key (else MIGRATE_SOURCE_ADMIN_KEY).")
        Path sourceKeyFile;

        @Option(names = "--target-key-file", description = "File holding the target's admin key (else MIGRATE_TARGET_ADMIN_KEY).")
        Path targetKeyFile;

        SettingsSource settings;


        @Override
        public Integer call() {
            try {
                return callLogged();
            } catch (Exception e) {
                String reason = dev.convexpipeline.OperatorMessages.describe(e);
                if (json) {
                    // Still one JSON document on stdout, so a script reading it learns why.
                    Map<String, Object> failure = new LinkedHashMap<>();
                    failure.put("status", e instanceof MigrationRefusedException ? "refused" : "failed");
                    failure.put("error", reason);
                    try {
                        out().println(JSON.writeValueAsString(failure));
                        out().flush();
                    } catch (com.fasterxml.jackson.core.JsonProcessingException ignored) {
                        // Two strings always serialize.
                    }
                }
                // The full command name, one line: operators grep for "migrate run failed".
                err().println("migrate " + spec.commandLine().getCommandName() + " failed: " + reason);
                err().flush();
                return 1;
            }
        }

        private Integer callLogged() throws Exception {
            logToStandardError();
            settings = parent.settings();
            ProgressBar bar = json || System.console() == null ? null : new ProgressBar(err());
            try (Migrator migrator = new Migrator(MigrationSettings.load(settings), Clock.systemUTC(), new MigrationMetrics())
                    .withKeyFiles(sourceKeyFile, targetKeyFile).withListener(bar == null ? MigrationListener.NONE : bar)) {
                int code = call(migrator);
                if (bar != null) {
                    bar.finish();
                }
                out().flush();
                return code;
            }
        }

        abstract int call(Migrator migrator) throws Exception;

        /** Prints the journal (JSON or lines) and turns its status into the exit code. */
        int finish(MigrationJournal journal, Map<String, Object> extra) throws Exception {
            if (json) {
                Map<String, Object> view = MigrationView.of(journal);
                view.putAll(extra);
                out().println(JSON.writeValueAsString(view));
            } else {
                printHuman(journal, extra);
            }
            out().flush();
            String verb = spec.commandLine().getCommandName();
            switch (journal.status()) {
                case FAILED -> {
                    err().println("migrate " + verb + " failed: " + journal.error() + "; `migrate resume " + journal.id()
                            + "` continues it");
                    return 1;
                }
                case DIFFERENT, ROLLBACK_DIFFERENT -> {
                    err().println("migrate " + verb + ": the target differs from the snapshot (" + journal.error() + ")");
                    return EXIT_DIFFERENT;
                }
                default -> {
                    return 0;
                }
            }
        }

        void printHuman(MigrationJournal journal, Map<String, Object> extra) {
            PrintWriter out = out();
            out.printf("migration %s: %s%n", journal.id(), journal.status().name().toLowerCase(Locale.ROOT));
            out.printf("  source  %s (%s)%n", journal.source(), journal.sourceKind());
            out.printf("  target  %s (instance %s), mode %s%n", journal.target(), journal.targetInstance(), journal.mode());
            extra.forEach((key, value) -> out.printf("  %-7s %s%n", key, value));
            if (journal.snapshot() != null) {
                out.printf("  snapshot backup %s of %s, %d bytes, sha256 %s%n", journal.snapshot().backupId(),
                        journal.snapshot().instance(), journal.snapshot().bytes(), journal.snapshot().sha256());
            }
            if (journal.rollbackPoint() != null) {
                out.printf("  rollback point: backup %s of %s (pinned)%n", journal.rollbackPoint(), journal.rollbackPointInstance());
            }
            out.printf("  %-30s %-8s %10s %10s %10s  %s%n", "TABLE", "ACTION", "SNAPSHOT", "BEFORE", "AFTER", "RESULT");
            for (TableReport table : journal.report()) {
                out.printf("  %-30s %-8s %10d %10s %10s  %s%s%n", table.table(), table.action(), table.snapshotDocuments(),
                        table.targetBefore() < 0 ? "-" : Long.toString(table.targetBefore()),
                        table.targetAfter() < 0 ? "-" : Long.toString(table.targetAfter()),
                        table.status() == null ? "" : table.status(),
                        table.differingIds().isEmpty() ? "" : "  first differing ids: " + String.join(", ", table.differingIds()));
            }
            if (journal.sourcePaused()) {
                out.printf("  the source %s is PAUSED by this migration (writes stopped); `migrate rollback %s` unpauses it%n",
                        journal.source(), journal.id());
            }
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Preflight, pause source, snapshot, rollback point, import, verify, report.")
    static final class Run extends Verb {
        @Option(names = "--from", required = true,
                description = "Backup id, latest, a ZIP from `npx convex export`, a deployment URL, or a moment (2026-12-03T10:15:00Z or at:<snapshot ts>).")
        String from;

        @Option(names = "--to", required = true, description = "Target deployment URL.")
        String to;

        @Option(names = "--tables", split = ",", description = "Only these tables (comma-separated).")
        List<String> tables;

        @Option(names = "--mode", defaultValue = "require-empty",
                description = "require-empty (default), append, replace or replace-all.")
        String mode;

        @Option(names = "--pause-source", description = "Pause the live source before its snapshot (it stays paused when done).")
        boolean pauseSource;

        @Option(names = "--dry-run", description = "Preflight only: print the plan, write nothing.")
        boolean dryRun;

        @Option(names = "--yes", description = "Do not ask for the target's instance name before a destructive mode.")
        boolean yes;

        @Option(names = "--skip-functions-check", description = "Migrate into a target without the pipeline's Convex functions.")
        boolean skipFunctionsCheck;

        @Override
        int call(Migrator migrator) throws Exception {
            ImportMode importMode = MigrationOperations.mode(mode);
            Migrator.Request request = new Migrator.Request(from, to, tables, importMode, pauseSource, dryRun, yes,
                    skipFunctionsCheck, sourceKeyFile, targetKeyFile);
            if (dryRun) {
                Migrator.Plan plan = migrator.preflight(request, Migrator.Confirmation.REFUSE);
                return finish(plan.journal(), planFigures(plan));
            }
            if (request.destructive() && !yes) {
                // Ask before anything is written, after showing what the mode will do.
                Migrator.Plan plan = migrator.preflight(withDryRun(request), Migrator.Confirmation.REFUSE);
                if (System.console() == null) {
                    throw new MigrationRefusedException("mode " + importMode.wireName() + " deletes documents in "
                            + plan.journal().targetInstance() + " and there is no terminal to type its instance name on;"
                            + " pass --yes to confirm");
                }
                printHuman(plan.journal(), planFigures(plan));
                err().printf("Mode %s deletes documents in %s. Type the target's instance name to continue: ",
                        importMode.wireName(), plan.journal().targetInstance());
                err().flush();
                String typed = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                if (typed == null || !typed.trim().equals(plan.journal().targetInstance())) {
                    throw new MigrationRefusedException("the typed name does not match the target's instance name "
                            + plan.journal().targetInstance() + "; nothing was changed");
                }
                request = new Migrator.Request(from, to, tables, importMode, pauseSource, false, true,
                        skipFunctionsCheck, sourceKeyFile, targetKeyFile);
            }
            return finish(MigrationRoute.run(migrator, settings, request), Map.of());
        }

        private static Migrator.Request withDryRun(Migrator.Request r) {
            return new Migrator.Request(r.from(), r.to(), r.tables(), r.mode(), r.pauseSource(), true, r.yes(),
                    r.skipFunctionsCheck(), r.sourceKeyFile(), r.targetKeyFile());
        }

        private static Map<String, Object> planFigures(Migrator.Plan plan) {
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("targetVersion", plan.targetVersion());
            figures.put("contract", plan.contract());
            figures.put("snapshotBytes", plan.snapshotBytes() < 0 ? "known after the export" : plan.snapshotBytes());
            figures.put("estimatedSeconds", plan.estimate() == null ? "known after the export" : plan.estimate().toSeconds());
            figures.put("notes", plan.notes());
            return figures;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Re-read the target and compare each migrated table with the snapshot. Exit code 3 on a difference.")
    static final class Verify extends Verb {
        @Parameters(paramLabel = "<migration id>")
        String id;

        @Override
        int call(Migrator migrator) throws Exception {
            return finish(migrator.verify(id), Map.of());
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "One migration's journal (the newest without an id).")
    static final class Status extends Verb {
        @Parameters(paramLabel = "<migration id>", arity = "0..1")
        String id;

        @Override
        int call(Migrator migrator) throws Exception {
            MigrationJournal journal = id != null ? migrator.journals().get(id) : migrator.journals().list().stream().findFirst()
                    .orElseThrow(() -> new MigrationRefusedException("no migration in " + migrator.journals().describe()));
            if (json) {
                out().println(JSON.writeValueAsString(MigrationView.of(journal)));
            } else {
                printHuman(journal, Map.of());
                journal.steps().forEach(step -> out().println("  " + step));
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every migration, newest first.")
    static final class ListMigrations extends Verb {
        @Override
        int call(Migrator migrator) throws Exception {
            List<MigrationJournal> journals = migrator.journals().list();
            if (json) {
                out().println(JSON.writeValueAsString(Map.of("storage", migrator.journals().describe(),
                        "migrations", journals.stream().map(MigrationView::summary).toList())));
                return 0;
            }
            out().printf("%-22s  %-22s  %-14s  %-40s  %s%n", "ID", "CREATED", "STATUS", "SOURCE", "TARGET");
            for (MigrationJournal j : journals) {
                out().printf("%-22s  %-22s  %-14s  %-40s  %s%n", j.id(), j.createdAt(),
                        j.status().name().toLowerCase(Locale.ROOT), j.source(), j.target());
            }
            out().printf("%d migration(s) in %s%n", journals.size(), migrator.journals().describe());
            return 0;
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Continue a killed or failed migration from its journal; nothing is imported twice.")
    static final class Resume extends Verb {
        @Parameters(paramLabel = "<migration id>")
        String id;

        @Override
        int call(Migrator migrator) throws Exception {
            migrator.prepareResume(id);
            MigrationOperations operations = new MigrationOperations(() -> migrator);
            try (MigrationRoute route = MigrationRoute.start(operations, settings)) {
                return finish(route.send("direct:migration-steps", null, id), Map.of());
            }
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Restore the target to the migration's rollback point (replace-all), verify, unpause the source.")
    static final class Rollback extends Verb {
        @Parameters(paramLabel = "<migration id>")
        String id;

        @Option(names = "--yes", description = "Do not ask for the target's instance name.")
        boolean yes;

        @Override
        int call(Migrator migrator) throws Exception {
            Migrator.Confirmation ask = (question, expected) -> {
                if (System.console() == null) {
                    throw new MigrationRefusedException(question + " — no terminal to type it on; pass --yes to confirm");
                }
                err().print(question + ": ");
                err().flush();
                String typed = System.console().readLine();
                return typed != null && typed.trim().equals(expected);
            };
            return finish(migrator.rollback(id, yes, ask), Map.of());
        }
    }

    /** Log lines go to stderr: stdout carries the report (and with --json exactly one JSON document). */
    public static void logToStandardError() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration configuration = context.getConfiguration();
        if (configuration.getAppenders().containsKey("stderr")) {
            return;
        }
        ConsoleAppender stderr = ConsoleAppender.newBuilder().setName("stderr").setTarget(ConsoleAppender.Target.SYSTEM_ERR)
                .setLayout(PatternLayout.newBuilder().withPattern("%d{HH:mm:ss.SSS} %-5level [%t] %c{1} - %msg%n").build())
                .setConfiguration(configuration).build();
        stderr.start();
        configuration.addAppender(stderr);
        configuration.getRootLogger().removeAppender("console");
        configuration.getRootLogger().addAppender(stderr, null, null);
        context.updateLoggers();
    }

    /** One line redrawn in place on a terminal: step, bytes sent, import state, documents written. */
    static final class ProgressBar implements MigrationListener {
        private final PrintWriter err;
        private String last = "";

        ProgressBar(PrintWriter err) {
            this.err = err;
        }

        @Override
        public synchronized void changed(MigrationJournal j) {
            int width = 30;
            double fraction = j.bytesTotal() > 0 ? Math.min(1.0, (double) j.bytesSent() / j.bytesTotal()) : 0;
            int filled = (int) Math.round(fraction * width);
            String line = String.format("[%s%s] %3d%% %,.1f/%,.1f MB  %s  %s  %,d documents written",
                    "#".repeat(filled), " ".repeat(width - filled), Math.round(fraction * 100),
                    j.bytesSent() / 1048576.0, j.bytesTotal() / 1048576.0, j.status().name().toLowerCase(Locale.ROOT),
                    j.progress() == null ? "" : j.progress(), j.documentsWritten());
            if (!line.equals(last)) {
                err.print("\r" + line + " ".repeat(Math.max(0, last.length() - line.length())));
                err.flush();
                last = line;
            }
        }

        void finish() {
            if (!last.isEmpty()) {
                err.println();
                err.flush();
            }
        }
    }
}

package dev.convexpipeline.migration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.convexpipeline.OperatorMessages;
import dev.convexpipeline.backup.BackupCatalog;
import dev.convexpipeline.backup.BackupEntry;
import dev.convexpipeline.backup.BackupLayout;
import dev.convexpipeline.backup.BackupManifest;
import dev.convexpipeline.backup.BackupMetrics;
import dev.convexpipeline.backup.BackupService;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.backup.ConvexSnapshotSource;
import dev.convexpipeline.backup.RetentionPolicy;
import dev.convexpipeline.backup.SnapshotScanner;
import dev.convexpipeline.backup.SnapshotSource;
import dev.convexpipeline.backup.StoredObject;
import dev.convexpipeline.convex.ConvexAuthException;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexContract;
import dev.convexpipeline.convex.ConvexException;
import dev.convexpipeline.convex.ConvexFunctionException;
import dev.convexpipeline.convex.ImportMode;
import dev.convexpipeline.convex.ImportOptions;
import dev.convexpipeline.convex.ImportResult;
import dev.convexpipeline.convex.SnapshotDocument;
import dev.convexpipeline.pitr.RestoreService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replays a snapshot into a Convex deployment, one runbook step per method so the migration route
 * ({@code routes/migration.camel.yaml}) and {@code migrate run} call the same steps:
 * preflight → pause source → snapshot → rollback point → import → verify → report.
 *
 * <p>Every step reads the migration's journal from the backup storage, does its work only if the
 * journal says it is not done yet, and writes the journal back; {@code migrate resume} therefore
 * just runs the steps again. The import is uploaded, recorded, and only then confirmed (Convex
 * applies nothing before {@code perform_import}), so a resumed migration never applies one upload
 * twice and a killed one never looks complete.
 */
public final class Migrator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Migrator.class);
    private static final int DIFFERING_IDS_SHOWN = 5;
    /** The step line preflight records for --pause-source, so a resumed run still knows to pause. */
    static final String PAUSE_REQUESTED = "preflight: --pause-source requested";
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss");

    /** What the operator asked for. Key files are paths (never keys); {@code tables} empty means all. */
    public record Request(String from, String to, List<String> tables, ImportMode mode, boolean pauseSource,
                          boolean dryRun, boolean yes, boolean skipFunctionsCheck, Path sourceKeyFile, Path targetKeyFile) {
        public Request {
            tables = tables == null ? List.of() : List.copyOf(tables);
            mode = mode == null ? ImportMode.REQUIRE_EMPTY : mode;
        }

        public boolean destructive() {
            return mode == ImportMode.REPLACE || mode == ImportMode.REPLACE_ALL;
        }
    }

    /** Asks the operator to type the target's instance name before a destructive step. */
    @FunctionalInterface
    public interface Confirmation {
        /** @return true to go on; throws {@link MigrationRefusedException} when it cannot ask */
        boolean confirm(String question, String expectedAnswer);

        Confirmation REFUSE = (question, expected) -> {
            throw new MigrationRefusedException(question + " — no terminal to type it on; pass --yes to confirm");
        };
    }

    /** The result of preflight: the journal to start from and the figures the operator sees. */
    public record Plan(MigrationJournal journal, String targetVersion, String contract, long snapshotBytes,
                       Duration estimate, List<String> notes) {
    }

    private final MigrationSettings settings;
    private final BackupTarget storage;
    private final boolean ownsStorage;
    private final MigrationJournalStore journals;
    private final RetentionPolicy retention;
    private final Clock clock;
    private final MigrationMetrics metrics;
    private MigrationListener listener = MigrationListener.NONE;
    private Path sourceKeyFile;
    private Path targetKeyFile;
    private int partSize = ImportOptions.MIN_PART_SIZE;
    private java.util.function.LongConsumer partHook = bytes -> { };

    public Migrator(MigrationSettings settings, Clock clock, MigrationMetrics metrics) {
        this(settings, settings.storage().createTarget(), true, clock, metrics);
    }

    /** A migrator on storage the caller already holds (and closes): the point-in-time benchmark and tests. */
    public Migrator(MigrationSettings settings, BackupTarget storage, Clock clock, MigrationMetrics metrics) {
        this(settings, storage, false, clock, metrics);
    }

    private Migrator(MigrationSettings settings, BackupTarget storage, boolean ownsStorage, Clock clock, MigrationMetrics metrics) {
        this.settings = settings;
        this.storage = storage;
        this.ownsStorage = ownsStorage;
        this.journals = new MigrationJournalStore(storage);
        this.retention = new RetentionPolicy(Duration.ofDays(settings.storage().retentionDays()),
                settings.storage().keepLast());
        this.clock = clock;
        this.metrics = metrics;
    }

    public Migrator withListener(MigrationListener newListener) {
        this.listener = newListener == null ? MigrationListener.NONE : newListener;
        return this;
    }

    /** Key files for the deployments of the migration this process runs or resumes (never stored in the journal). */
    public Migrator withKeyFiles(Path source, Path target) {
        this.sourceKeyFile = source;
        this.targetKeyFile = target;
        return this;
    }

    public Migrator withPartSize(int bytes) {
        this.partSize = bytes;
        return this;
    }

    /** Called after every part is sent, with the bytes sent so far; tests use it to stop a run mid-upload. */
    Migrator onPartSent(java.util.function.LongConsumer hook) {
        this.partHook = hook;
        return this;
    }

    public MigrationJournalStore journals() {
        return journals;
    }

    public BackupTarget storage() {
        return storage;
    }

    // ---- the whole runbook ----------------------------------------------------------------

    /** Preflight, then every step; with --dry-run only preflight. The journal as it ends. */
    public MigrationJournal run(Request request, Confirmation confirmation) throws IOException {
        Plan plan = preflight(request, confirmation);
        if (request.dryRun()) {
            return plan.journal();
        }
        return runSteps(plan.journal().id());
    }

    /** How {@code --from} names the state at a snapshot timestamp (a bare number names a backup id). */
    public static String pointInTime(long atTs) {
        return PointInTimeSnapshotSource.PREFIX + atTs;
    }

    /** The steps after preflight, each skipped when the journal says it is done: run and resume both end here. */
    public MigrationJournal runSteps(String id) throws IOException {
        try {
            pauseSource(id);
            snapshot(id);
            rollbackPoint(id);
            importSnapshot(id);
            verify(id);
            return report(id);
        } catch (RuntimeException | IOException e) {
            recordFailure(id, e);
            throw e instanceof MigrationRefusedException refused ? refused : new MigrationFailedException(
                    "migration " + id + " failed: " + OperatorMessages.describe(e) + "; `migrate resume " + id
                            + "` continues it", e);
        }
    }

    /** Picks a killed or failed migration up where its journal says it stopped. */
    public MigrationJournal resume(String id) throws IOException {
        prepareResume(id);
        return runSteps(id);
    }

    /** Checks a migration can be resumed and puts a failed one back to the step it stopped at. */
    public MigrationJournal prepareResume(String id) throws IOException {
        MigrationJournal journal = journals.get(id);
        if (journal.status().finished()) {
            throw new MigrationRefusedException("migration " + id + " is already " + journal.status().name().toLowerCase(Locale.ROOT)
                    + "; nothing to resume (`migrate verify " + id + "` re-checks the target)");
        }
        return save(journal.with(journal.status() == MigrationStatus.FAILED ? resumeState(journal) : journal.status())
                .withError(null), "resumed from " + journal.status());
    }

    private static MigrationStatus resumeState(MigrationJournal journal) {
        if (journal.importId() != null) {
            return MigrationStatus.UPLOADED;
        }
        if (journal.rollbackPoint() != null) {
            return MigrationStatus.ROLLBACK_POINT_STORED;
        }
        return journal.snapshot() != null ? MigrationStatus.SNAPSHOT_STORED : MigrationStatus.PLANNED;
    }

    // ---- preflight ------------------------------------------------------------------------

    /**
     * Checks both sides and plans each table without writing to the target: reachability and keys,
     * the target's version and contract, the snapshot's checksum (stored snapshots and ZIPs), what the
     * mode does per table, size and estimated time; asks for the instance name before a destructive
     * mode. Saves the journal unless it is a dry run.
     */
    public Plan preflight(Request request, Confirmation confirmation) throws IOException {
        if (request.to() == null || !request.to().matches("https?://.+")) {
            throw new MigrationRefusedException("--to must be the target deployment URL (http(s)://…), got " + request.to());
        }
        SourceKind kind = SourceKind.of(request.from());
        if (request.pauseSource() && kind != SourceKind.DEPLOYMENT) {
            throw new MigrationRefusedException("--pause-source needs a live deployment as --from; " + request.from()
                    + " is a " + kind.label);
        }
        List<String> notes = new ArrayList<>();
        // Source: what will be migrated, table by table.
        Map<String, Long> snapshotTables;
        long snapshotBytes;
        String sourceUrl;
        SnapshotRecord stored = null;
        switch (kind) {
            case DEPLOYMENT -> {
                sourceUrl = request.from();
                try (ConvexClient source = sourceClient(request.from())) {
                    checkReachable(source, "source");
                    snapshotTables = countTables(source);
                }
                snapshotBytes = -1;
                notes.add("the source is exported after preflight" + (request.pauseSource() ? " (after pausing it)" : "")
                        + " and kept as a pinned backup");
            }
            case BACKUP -> {
                stored = storedSnapshot(request.from());
                sourceUrl = stored.instance() + " backup " + stored.backupId();
                checkChecksum(stored);
                snapshotTables = documentsOf(stored);
                snapshotBytes = stored.bytes();
                notes.add("snapshot checksum verified: sha256 " + stored.sha256());
            }
            case MOMENT -> {
                long atTs = PointInTimeSnapshotSource.momentOf(request.from());
                RestoreService.Report dry;
                try {
                    dry = restoreService().dryRun(atTs, null);
                } catch (IllegalArgumentException e) {
                    throw new MigrationRefusedException(e.getMessage(), e);
                }
                sourceUrl = "state of " + ownInstance() + " at " + PointInTimeSnapshotSource.canonical(atTs);
                snapshotTables = new TreeMap<>();
                dry.written().tables().forEach((table, stats) -> {
                    if (SnapshotScanner.isUserTable(table)) {
                        snapshotTables.put(table, stats.documents());
                    }
                });
                snapshotBytes = -1;
                notes.add("base backup " + dry.plan().base().id() + " + " + dry.plan().segments().size()
                        + " change segment(s): " + dry.written().changesApplied() + " change(s) applied to "
                        + dry.written().changedIds() + " document(s); materialized after preflight and kept as a pinned backup");
            }
            default -> {
                Path zip = Path.of(request.from());
                sourceUrl = zip.toAbsolutePath().toUri().toString();
                SnapshotScanner.Result scanned;
                try (InputStream in = Files.newInputStream(zip)) {
                    scanned = SnapshotScanner.scan(in, null, true);
                } catch (IOException e) {
                    throw new MigrationRefusedException("the snapshot ZIP " + zip + " is corrupted: " + e.getMessage(), e);
                }
                if (!scanned.problems().isEmpty()) {
                    throw new MigrationRefusedException("the snapshot ZIP " + zip + " is corrupted: " + scanned.problems().get(0));
                }
                snapshotTables = new TreeMap<>();
                scanned.tables().forEach((table, stats) -> {
                    if (SnapshotScanner.isUserTable(table)) {
                        snapshotTables.put(table, stats.documents());
                    }
                });
                snapshotBytes = scanned.bytes();
                notes.add("ZIP read whole: sha256 " + scanned.sha256() + ", every line parsed");
            }
        }
        Set<String> selected = selectTables(request.tables(), snapshotTables);

        // Target: reachable, key valid, version, contract, what is there now.
        String targetKey = settings.keyFor("target", request.to(), targetKeyFile);
        String targetInstance = instanceOf(targetKey, request.to());
        String version;
        String contract;
        Map<String, Long> targetTables;
        try (ConvexClient target = settings.open(request.to(), targetKey)) {
            version = checkReachable(target, "target");
            contract = checkContract(target, request.skipFunctionsCheck(), notes);
            targetTables = countTables(target);
        }
        List<TableReport> plan = plan(request.mode(), selected, snapshotTables, targetTables);
        List<String> refused = plan.stream().filter(t -> t.action().equals("refuse")).map(TableReport::table).toList();
        if (!refused.isEmpty()) {
            throw new MigrationRefusedException("the target " + request.to() + " already has documents in " + String.join(", ", refused)
                    + " and the mode is require-empty; choose --mode append, replace or replace-all, or migrate into an empty deployment");
        }
        Duration estimate = snapshotBytes < 0 ? null : Duration.ofSeconds(Math.max(1, snapshotBytes / settings.estimatedBytesPerSecond()));
        String now = clock.instant().toString();
        MigrationJournal journal = new MigrationJournal(newId(), request.dryRun() ? MigrationStatus.DRY_RUN : MigrationStatus.PLANNED,
                canonicalSource(kind, request.from()), kind.label,
                sourceUrl, request.to(), targetInstance, request.mode().wireName(),
                request.tables(), stored, null, null, false, null, 0, Math.max(snapshotBytes, 0), 0, 0, null, plan,
                null, now, now, List.of());
        if (request.pauseSource()) {
            journal = journal.step(PAUSE_REQUESTED, now);
        }
        journal = journal.step("preflight: target " + targetInstance + " version " + version + ", contract " + contract
                + ", " + plan.size() + " table(s), " + (snapshotBytes < 0 ? "size known after export" : snapshotBytes + " bytes"), now);
        if (request.destructive() && !request.dryRun() && !request.yes()) {
            String question = "mode " + request.mode().wireName() + " deletes documents in " + targetInstance
                    + " (" + request.to() + "); type the target's instance name to continue";
            if (!confirmation.confirm(question, targetInstance)) {
                throw new MigrationRefusedException("the typed name does not match the target's instance name "
                        + targetInstance + "; nothing was changed");
            }
        }
        if (!request.dryRun()) {
            journals.save(journal);
            listener.changed(journal);
            LOG.info("Migration {} planned: {} → {} ({}), mode {}", journal.id(), request.from(), request.to(),
                    targetInstance, request.mode().wireName());
        }
        return new Plan(journal, version, contract, snapshotBytes, estimate, List.copyOf(notes));
    }

    /** What the journal keeps as the source: resumes read it back, so it must name the same snapshot every time. */
    private static String canonicalSource(SourceKind kind, String from) {
        return switch (kind) {
            case ZIP -> Path.of(from).toAbsolutePath().toString();
            case MOMENT -> PointInTimeSnapshotSource.canonical(PointInTimeSnapshotSource.momentOf(from));
            default -> from;
        };
    }

    private RestoreService restoreService() {
        return new RestoreService(storage, new BackupLayout(ownInstance()), settings.spillDirectory());
    }

    private static Set<String> selectTables(List<String> requested, Map<String, Long> snapshotTables) {
        if (requested.isEmpty()) {
            return new LinkedHashSet<>(snapshotTables.keySet());
        }
        List<String> unknown = requested.stream().filter(t -> !snapshotTables.containsKey(t)).toList();
        if (!unknown.isEmpty()) {
            throw new MigrationRefusedException("--tables names " + String.join(", ", unknown)
                    + " but the snapshot has no such table; it has " + String.join(", ", snapshotTables.keySet()));
        }
        return new LinkedHashSet<>(requested);
    }

    /** What the mode does to each target table, in the words of Convex's import confirmation. */
    static List<TableReport> plan(ImportMode mode, Set<String> selected, Map<String, Long> snapshotTables,
                                  Map<String, Long> targetTables) {
        List<TableReport> plan = new ArrayList<>();
        for (String table : selected) {
            long incoming = snapshotTables.getOrDefault(table, 0L);
            long existing = targetTables.getOrDefault(table, 0L);
            String action = switch (mode) {
                case REQUIRE_EMPTY -> existing > 0 ? "refuse" : "create";
                case APPEND -> existing > 0 ? "append" : "create";
                case REPLACE, REPLACE_ALL -> existing > 0 ? "replace" : "create";
            };
            plan.add(new TableReport(table, action, incoming, existing, -1, null, List.of()));
        }
        if (mode == ImportMode.REPLACE_ALL) {
            targetTables.forEach((table, existing) -> {
                if (!selected.contains(table) && existing > 0) {
                    plan.add(new TableReport(table, "delete", 0, existing, -1, null, List.of()));
                }
            });
        }
        return plan;
    }

    private String checkReachable(ConvexClient client, String role) {
        String url = client.config().deploymentUrl().toString();
        try {
            String version = client.version();
            client.checkAdminKey();
            return version;
        } catch (ConvexAuthException e) {
            throw new MigrationRefusedException("the " + role + " " + url + " rejected the admin key (HTTP " + e.status()
                    + " " + e.code() + "): check " + ("source".equals(role)
                    ? "MIGRATE_SOURCE_ADMIN_KEY / --source-key-file" : "MIGRATE_TARGET_ADMIN_KEY / --target-key-file"), e);
        } catch (ConvexException e) {
            throw new MigrationRefusedException("the " + role + " " + url + " is unreachable: " + OperatorMessages.describe(e), e);
        }
    }

    private static String checkContract(ConvexClient target, boolean skip, List<String> notes) {
        String found;
        try {
            JsonNode answer = target.query(ConvexContract.CONTRACT_FUNCTION, JsonNodeFactory.instance.objectNode());
            long version = answer == null ? -1 : answer.path("version").asLong(-1);
            if (version == ConvexContract.VERSION) {
                return "v" + version;
            }
            found = "contract version " + version + " (this pipeline needs " + ConvexContract.VERSION + ")";
        } catch (ConvexFunctionException e) {
            found = "no " + ConvexContract.CONTRACT_FUNCTION + " function";
        }
        String message = "the target has " + found + ": deploy the pipeline's Convex functions with `"
                + ConvexContract.DEPLOY_COMMAND + "` (or pass --skip-functions-check to migrate data only)";
        if (!skip) {
            throw new MigrationRefusedException(message);
        }
        notes.add("functions check skipped: " + message);
        return "skipped (" + found + ")";
    }

    /** Documents per user table, read through list_snapshot (one pinned snapshot). */
    static Map<String, Long> countTables(ConvexClient client) {
        Map<String, Long> counts = new TreeMap<>();
        Iterator<SnapshotDocument> documents = client.iterateSnapshot(null);
        while (documents.hasNext()) {
            SnapshotDocument document = documents.next();
            if (document.component().isEmpty() && SnapshotScanner.isUserTable(document.table())) {
                counts.merge(document.table(), 1L, Long::sum);
            }
        }
        return counts;
    }

    // ---- pause source ---------------------------------------------------------------------

    public MigrationJournal pauseSource(String id) throws IOException {
        MigrationJournal journal = journals.get(id);
        if (journal.steps().stream().noneMatch(line -> line.endsWith(PAUSE_REQUESTED)) || journal.sourcePaused() || journal.snapshot() != null) {
            return journal;
        }
        try (ConvexClient source = sourceClient(journal.source())) {
            source.pauseDeployment();
        }
        LOG.info("Migration {}: source {} paused (user functions stop; export still runs)", id, journal.source());
        return save(journal.withSourcePaused(true), "pause source: " + journal.source() + " paused");
    }


    // ---- snapshot -------------------------------------------------------------------------

    /** Stores the snapshot (export of a live source, or a local ZIP) as a pinned backup; a backup source is pinned as is. */
    public MigrationJournal snapshot(String id) throws IOException {
        MigrationJournal journal = journals.get(id);
        if (journal.snapshot() != null && journal.status() != MigrationStatus.PLANNED) {
            return journal;
        }
        SnapshotRecord record;
        switch (SourceKind.of(journal.source())) {
            case DEPLOYMENT -> {
                return streamLiveSnapshot(journal);
            }
            case ZIP -> record = store(new ZipFileSnapshotSource(Path.of(journal.source())));
            case MOMENT -> record = materialize(PointInTimeSnapshotSource.momentOf(journal.source()));
            default -> {
                record = journal.snapshot() != null ? journal.snapshot() : storedSnapshot(journal.source());
                service(record.instance(), null).pin(record.backupId());
            }
        }
        return save(journal.withSnapshot(record).with(MigrationStatus.SNAPSHOT_STORED),
                "snapshot: backup " + record.backupId() + " of " + record.instance() + ", " + record.bytes() + " bytes, pinned");
    }

    /**
     * A live source: its export is read once, stored as a pinned backup and uploaded to the target
     * at the same time. The import is recorded uploaded but not confirmed; the import step confirms
     * it after the stored copy has been checked against its manifest.
     */
    private MigrationJournal streamLiveSnapshot(MigrationJournal journal) throws IOException {
        MigrationJournal[] current = {save(journal.with(MigrationStatus.UPLOADING).withImport(null, 0, 0),
                "snapshot: exporting " + journal.source() + " into the backup storage and the target at once")};
        SnapshotRecord record;
        String importId;
        try (ConvexClient source = sourceClient(journal.source()); ConvexClient target = targetClient(journal.target())) {
            StreamingImport streaming = new StreamingImport(
                    new ConvexSnapshotSource(source, instanceOf(source.config().adminKey(), journal.source()), false,
                            settings.storage().exportTimeout()),
                    target, importOptions(journal), new LinkedHashSet<>(journal.tables()), sent -> {
                        metrics.bytesSent(sent - current[0].bytesSent());
                        current[0] = current[0].withImport(null, sent, current[0].partsSent() + 1);
                        saveQuietly(current[0]);
                        partHook.accept(sent);
                    });
            BackupService service = service(streaming.instance(), streaming);
            BackupManifest manifest = service.run();
            importId = streaming.importId();
            service.pin(manifest.id());
            record = record(manifest, service.layout());
        }
        MigrationJournal stored = current[0].withSnapshot(record);
        return save(stored.withImport(importId, current[0].bytesSent(), current[0].partsSent()).with(MigrationStatus.SNAPSHOT_STORED),
                "snapshot: backup " + record.backupId() + " of " + record.instance() + ", " + record.bytes()
                        + " bytes, pinned; the same bytes uploaded to the target as import " + importId + " (not applied until confirmed)");
    }

    /**
     * The state at a moment as a pinned backup in {@code <instance>.point-in-time}. A moment is covered by
     * the change log only once every change up to it is captured, so its state never changes afterwards:
     * a complete backup already stored for it (by an earlier restore, or by this one before it was killed)
     * is reused after its checksum is checked; otherwise it is materialized and stored, its manifest written
     * last, so a half-stored one is never taken for complete.
     */
    private SnapshotRecord materialize(long atTs) throws IOException {
        String deployment = ownInstance();
        BackupLayout layout = PointInTimeSnapshotSource.layout(deployment);
        BackupEntry existing = new BackupCatalog(storage, layout).find(Long.toString(atTs)).orElse(null);
        if (existing != null && existing.manifest() != null && existing.zipPresent()) {
            SnapshotRecord record = record(existing.manifest(), layout);
            checkChecksum(record);
            service(layout.instance(), null).pin(record.backupId());
            LOG.info("State of {} at {} already stored as backup {} of {}: reused", deployment,
                    PointInTimeSnapshotSource.canonical(atTs), record.backupId(), layout.instance());
            return record;
        }
        PointInTimeSnapshotSource source = new PointInTimeSnapshotSource(restoreService(), deployment, atTs);
        SnapshotRecord record;
        try {
            record = store(source);
            Map<String, SnapshotScanner.TableStats> written = source.written();
            Map<String, SnapshotRecord.Table> stored = new TreeMap<>();
            record.tables().forEach((table, stats) -> {
                if (SnapshotScanner.isUserTable(table) && stats.documents() > 0) {
                    stored.put(table, stats);
                }
            });
            Map<String, SnapshotRecord.Table> expected = new TreeMap<>();
            written.forEach((table, stats) -> {
                if (stats.documents() > 0) {
                    expected.put(table, new SnapshotRecord.Table(stats.documents(), stats.digest()));
                }
            });
            if (!stored.equals(expected)) {
                throw new IOException("the stored state at " + PointInTimeSnapshotSource.canonical(atTs) + " (" + stored
                        + ") differs from what was materialized (" + expected + ")");
            }
        } finally {
            source.close();
        }
        return record;
    }

    private ImportOptions importOptions(MigrationJournal journal) {
        return ImportOptions.zip(ImportMode.valueOf(modeName(journal.mode())))
                .withConfirmDeletes(true).withPartSize(partSize).withTimeout(settings.importTimeout());
    }

    private SnapshotRecord takeBackup(ConvexClient client, String instance) throws IOException {
        return store(new ConvexSnapshotSource(client, instance, false, Duration.ofMinutes(30)));
    }

    private SnapshotRecord store(SnapshotSource source) throws IOException {
        BackupService service = service(source.instance(), source);
        BackupManifest manifest = service.run();
        service.pin(manifest.id());
        return record(manifest, service.layout());
    }

    private static SnapshotRecord record(BackupManifest manifest, BackupLayout layout) {
        Map<String, SnapshotRecord.Table> tables = new LinkedHashMap<>();
        manifest.tables().forEach((name, table) -> tables.put(name, new SnapshotRecord.Table(table.documents(), table.digest())));
        return new SnapshotRecord(layout.instance(), manifest.id(), layout.key(manifest.snapshotTs(), BackupLayout.Kind.ZIP),
                manifest.zip().bytes(), manifest.zip().sha256(), tables);
    }

    /** A backup in the catalog by id (any instance folder) or {@code latest} (the pipeline's own deployment). */
    private SnapshotRecord storedSnapshot(String idOrLatest) throws IOException {
        String instance;
        if ("latest".equals(idOrLatest)) {
            instance = ownInstance();
        } else {
            String suffix = "/snapshot-" + idOrLatest + ".manifest.json";
            instance = storage.list("").stream().map(StoredObject::key).filter(key -> key.endsWith(suffix))
                    .map(key -> key.substring(0, key.indexOf('/'))).findFirst()
                    .orElseThrow(() -> new MigrationRefusedException("no backup " + idOrLatest + " in " + storage.describe()
                            + "; `backup list` shows the ids"));
        }
        BackupLayout layout = new BackupLayout(instance);
        BackupEntry entry = new BackupCatalog(storage, layout).find(idOrLatest).orElseThrow(() ->
                new MigrationRefusedException("no backup " + idOrLatest + " of " + instance + " in " + storage.describe()));
        if (entry.manifest() == null || !entry.zipPresent()) {
            throw new MigrationRefusedException("backup " + entry.id() + " is incomplete: "
                    + (entry.manifest() == null ? "manifest unreadable (" + entry.problem() + ")" : "its ZIP is missing"));
        }
        return record(entry.manifest(), layout);
    }

    private String ownInstance() {
        if (!settings.storage().instance().isEmpty()) {
            return settings.storage().instance();
        }
        if (settings.serviceToken().isEmpty()) {
            throw new MigrationRefusedException("`latest` means the newest backup of the pipeline's own deployment, but"
                    + " neither backup.instance (BACKUP_INSTANCE) nor CONVEX_SERVICE_TOKEN says which; name a backup id");
        }
        return ConvexSnapshotSource.instanceFromAdminKey(settings.serviceToken());
    }

    /** Re-reads the stored ZIP and checks its size, SHA-256 and tables against the manifest, before anything is uploaded. */
    private void checkChecksum(SnapshotRecord record) throws IOException {
        SnapshotScanner.Result scanned;
        try (InputStream zip = storage.open(record.zipKey())) {
            scanned = SnapshotScanner.scan(zip, null, true);
        } catch (IOException e) {
            throw new MigrationRefusedException("snapshot " + record.backupId() + " (" + record.zipKey()
                    + ") is corrupted: " + e.getMessage() + "; nothing was uploaded", e);
        }
        if (scanned.bytes() != record.bytes() || !scanned.sha256().equals(record.sha256()) || !scanned.problems().isEmpty()) {
            throw new MigrationRefusedException("snapshot " + record.backupId() + " (" + record.zipKey()
                    + ") is corrupted: it has " + scanned.bytes() + " bytes with sha256 " + scanned.sha256()
                    + ", its manifest says " + record.bytes() + " bytes with sha256 " + record.sha256()
                    + "; nothing was uploaded");
        }
    }

    private static Map<String, Long> documentsOf(SnapshotRecord record) {
        Map<String, Long> tables = new TreeMap<>();
        record.tables().forEach((table, stats) -> {
            if (SnapshotScanner.isUserTable(table)) {
                tables.put(table, stats.documents());
            }
        });
        return tables;
    }

    // ---- rollback point -------------------------------------------------------------------

    /** Backs up the target before the import changes it (same format and catalog, pinned). */
    public MigrationJournal rollbackPoint(String id) throws IOException {
        MigrationJournal journal = journals.get(id);
        if (journal.rollbackPoint() != null) {
            return journal;
        }
        SnapshotRecord point;
        try (ConvexClient target = targetClient(journal.target())) {
            point = takeBackup(target, journal.targetInstance());
        }
        return save(journal.withRollbackPoint(point.instance(), point.backupId()).with(MigrationStatus.ROLLBACK_POINT_STORED),
                "rollback point: backup " + point.backupId() + " of " + point.instance() + " (pinned), "
                        + point.bytes() + " bytes");
    }

    // ---- import ---------------------------------------------------------------------------

    /**
     * Streams the stored snapshot to the target in parts, records the import id, then confirms it.
     * On resume: an import already confirmed is awaited, one uploaded but unconfirmed is confirmed,
     * a failed or vanished one is uploaded again (Convex applied nothing of it).
     */
    public MigrationJournal importSnapshot(String id) throws IOException {
        MigrationJournal journal = journals.get(id);
        if (journal.status() == MigrationStatus.IMPORTED || journal.status().finished()) {
            return journal;
        }
        ImportOptions options = importOptions(journal);
        try (ConvexClient target = targetClient(journal.target())) {
            if (journal.importId() != null) {
                JsonNode state = target.importState(journal.importId()).orElse(null);
                String name = state == null ? "unknown" : state.path("state").asText();
                if (name.equals("failed") || name.equals("unknown")) {
                    journal = save(journal.withImport(null, 0, 0).with(MigrationStatus.UPLOADING),
                            "import " + journal.importId() + " is " + name + " on the target (nothing of it applied): uploading again");
                } else {
                    if (!name.equals("in_progress") && !name.equals("completed")) {
                        // Not applied yet: the stored copy must match its manifest before the target applies these bytes.
                        checkChecksum(journal.snapshot());
                    }
                    return awaitImport(target, journal, options);
                }
            }
            checkChecksum(journal.snapshot());
            journal = save(journal.with(MigrationStatus.UPLOADING).withImport(null, 0, 0),
                    "import: checksum verified, uploading " + journal.snapshot().bytes() + " bytes to " + journal.targetInstance());
            String importId;
            MigrationJournal[] current = {journal};
            try (InputStream zip = openForImport(journal)) {
                importId = target.uploadImport(zip, options, sent -> {
                    metrics.bytesSent(sent - current[0].bytesSent());
                    current[0] = current[0].withImport(null, sent, current[0].partsSent() + 1);
                    saveQuietly(current[0]);
                    partHook.accept(sent);
                });
            }
            journal = save(current[0].withImport(importId, current[0].bytesSent(), current[0].partsSent())
                    .with(MigrationStatus.UPLOADED), "import: uploaded as " + importId + " (not applied until confirmed)");
            return awaitImport(target, journal, options);
        }
    }

    private MigrationJournal awaitImport(ConvexClient target, MigrationJournal journal, ImportOptions options) throws IOException {
        MigrationJournal[] current = {save(journal.with(MigrationStatus.IMPORTING), "import: confirming " + journal.importId())};
        ImportResult result = target.awaitImport(journal.importId(), options.withProgress(message -> {
            current[0] = current[0].withProgress(message.lines().findFirst().orElse(message), rowsIn(message, current[0]));
            saveQuietly(current[0]);
        }));
        metrics.documentsWritten(result.numRowsWritten());
        return save(current[0].withProgress("completed", result.numRowsWritten()).with(MigrationStatus.IMPORTED),
                "import: " + result.numRowsWritten() + " documents written");
    }

    /** Documents written so far, summed from the server's {@code Imported "t" (N documents)} checkpoints. */
    private static long rowsIn(String message, MigrationJournal journal) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^Imported \"[^\"]+\" \\(([\\d,]+) documents?\\)").matcher(message);
        return m.find() ? journal.documentsWritten() + Long.parseLong(m.group(1).replace(",", "")) : journal.documentsWritten();
    }

    private InputStream openForImport(MigrationJournal journal) throws IOException {
        InputStream zip = storage.open(journal.snapshot().zipKey());
        return journal.tables().isEmpty() ? zip : ZipTableFilter.filter(zip, new LinkedHashSet<>(journal.tables()));
    }

    private static String modeName(String wireName) {
        return ImportMode.fromWireName(wireName).map(Enum::name)
                .orElseThrow(() -> new IllegalArgumentException("unknown import mode " + wireName));
    }

    // ---- verify ---------------------------------------------------------------------------

    /** Reads the migrated tables back from the target and compares count and digest with the snapshot. */
    public MigrationJournal verify(String id) throws IOException {
        MigrationJournal journal = journals.get(id);
        if (journal.snapshot() == null || journal.status() == MigrationStatus.PLANNED) {
            throw new MigrationRefusedException("migration " + id + " has not imported anything yet (" + journal.status()
                    + "); `migrate resume " + id + "` continues it");
        }
        List<TableReport> report = new ArrayList<>();
        // An append adds to what was there: the target should hold the rollback point's documents plus the snapshot's.
        SnapshotRecord before = journal.mode().equals(ImportMode.APPEND.wireName()) && journal.rollbackPoint() != null
                ? storedSnapshot(journal.rollbackPoint()) : null;
        try (ConvexClient target = targetClient(journal.target())) {
            for (TableReport planned : journal.report()) {
                if (planned.action().equals("delete")) {
                    long left = target.listSnapshot(planned.table()).count();
                    report.add(planned.withVerify(left, left == 0, List.of()));
                    continue;
                }
                report.add(TargetComparison.compare(target, storage, journal.snapshot(), planned,
                        before == null ? null : before.tables().get(planned.table()), DIFFERING_IDS_SHOWN));
            }
        }
        boolean ok = report.stream().allMatch(t -> "ok".equals(t.status()));
        metrics.verified(ok);
        MigrationStatus status = ok ? MigrationStatus.VERIFIED : MigrationStatus.DIFFERENT;
        String summary = report.stream().filter(t -> !"ok".equals(t.status()))
                .map(t -> t.table() + " (" + t.targetAfter() + " documents, snapshot " + t.snapshotDocuments()
                        + ", ids " + String.join(", ", t.differingIds()) + ")").reduce((a, b) -> a + "; " + b).orElse("");
        journal = journal.withReport(report).with(status).withError(ok ? null : "different: " + summary);
        return save(journal, "verify: " + (ok ? report.size() + " table(s) ok" : "DIFFERENT " + summary));
    }

    // ---- report ---------------------------------------------------------------------------

    public MigrationJournal report(String id) throws IOException {
        MigrationJournal journal = journals.get(id);
        String paused = journal.sourcePaused() ? "; the source " + journal.source() + " stays paused (writes stopped):"
                + " unpause it from its dashboard or with `migrate rollback " + id + "`" : "";
        LOG.info("Migration {} {}: {} → {}{}", id, journal.status(), journal.source(), journal.target(), paused);
        metrics.finished(journal.status());
        return save(journal, "report: " + journal.status().name().toLowerCase(Locale.ROOT) + paused);
    }

    /** Records a failed step (and unpauses a source this migration paused: an aborted migration gives it back). */
    public MigrationJournal recordFailure(String id, Exception e) throws IOException {
        MigrationJournal journal = journals.get(id);
        String reason = OperatorMessages.describe(e);
        LOG.error("Migration {} failed: {}", id, reason);
        if (journal.sourcePaused()) {
            try (ConvexClient source = sourceClient(journal.source())) {
                source.unpauseDeployment();
                journal = journal.withSourcePaused(false).step("abort: source " + journal.source() + " unpaused",
                        clock.instant().toString());
            } catch (RuntimeException unpause) {
                LOG.error("Migration {}: could not unpause the source {}: {}", id, journal.source(),
                        OperatorMessages.describe(unpause));
            }
        }
        metrics.finished(MigrationStatus.FAILED);
        return save(journal.with(MigrationStatus.FAILED).withError(reason), "failed: " + reason);
    }

    // ---- rollback -------------------------------------------------------------------------

    /** Restores the target to its rollback point (replace-all), verifies it, and unpauses the source if this migration paused it. */
    public MigrationJournal rollback(String id, boolean yes, Confirmation confirmation) throws IOException {
        MigrationJournal journal = journals.get(id);
        if (journal.rollbackPoint() == null) {
            throw new MigrationRefusedException("migration " + id + " has no rollback point (it stopped before taking one,"
                    + " so the target was not changed by it)");
        }
        SnapshotRecord point = storedSnapshot(journal.rollbackPoint());
        if (!yes && !confirmation.confirm("rollback replaces every table of " + journal.targetInstance() + " ("
                + journal.target() + ") with backup " + point.backupId() + "; type the target's instance name to continue",
                journal.targetInstance())) {
            throw new MigrationRefusedException("the typed name does not match " + journal.targetInstance() + "; nothing was changed");
        }
        checkChecksum(point);
        try (ConvexClient target = targetClient(journal.target())) {
            journal = save(journal, "rollback: restoring backup " + point.backupId() + " into " + journal.targetInstance());
            try (InputStream zip = storage.open(point.zipKey())) {
                target.importSnapshot(zip, ImportOptions.zip(ImportMode.REPLACE_ALL).withConfirmDeletes(true)
                        .withPartSize(partSize).withTimeout(settings.importTimeout()));
            }
            List<TableReport> report = new ArrayList<>();
            for (Map.Entry<String, Long> table : documentsOf(point).entrySet()) {
                TableReport planned = new TableReport(table.getKey(), "restore", table.getValue(), -1, -1, null, List.of());
                report.add(TargetComparison.compare(target, storage, point, planned, DIFFERING_IDS_SHOWN));
            }
            boolean ok = report.stream().allMatch(t -> "ok".equals(t.status()));
            journal = journal.withReport(report).with(ok ? MigrationStatus.ROLLED_BACK : MigrationStatus.ROLLBACK_DIFFERENT);
        }
        if (journal.sourcePaused()) {
            try (ConvexClient source = sourceClient(journal.source())) {
                source.unpauseDeployment();
            }
            journal = journal.withSourcePaused(false).step("rollback: source " + journal.source() + " unpaused",
                    clock.instant().toString());
        }
        return save(journal, "rollback: " + journal.status().name().toLowerCase(Locale.ROOT));
    }

    // ---- plumbing -------------------------------------------------------------------------

    private BackupService service(String instance, SnapshotSource source) {
        SnapshotSource named = source != null ? source : new SnapshotSource() {
            @Override
            public Snapshot take() {
                throw new IllegalStateException("this catalog only reads backups of " + instance);
            }

            @Override
            public String instance() {
                return instance;
            }

            @Override
            public String sourceUrl() {
                return instance;
            }
        };
        // Not closed: it would close the shared storage target, which this migrator closes.
        return new BackupService(storage, named, retention, new BackupMetrics(), clock)
                .withStallTimeout(settings.storage().stallTimeout());
    }

    private ConvexClient sourceClient(String url) {
        return settings.open(url, settings.keyFor("source", url, sourceKeyFile));
    }

    private ConvexClient targetClient(String url) {
        return settings.open(url, settings.keyFor("target", url, targetKeyFile));
    }

    private static String instanceOf(String adminKey, String url) {
        try {
            return ConvexSnapshotSource.instanceFromAdminKey(adminKey);
        } catch (IllegalArgumentException e) {
            String host = java.net.URI.create(url).getHost();
            return host == null ? "deployment" : host;
        }
    }

    private String newId() {
        return "m-" + LocalDateTime.ofInstant(clock.instant(), ZoneOffset.UTC).format(ID_TIME) + "-"
                + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
    }

    MigrationJournal save(MigrationJournal journal, String step) throws IOException {
        MigrationJournal stamped = journal.step(step, clock.instant().toString());
        journals.save(stamped);
        listener.changed(stamped);
        return stamped;
    }

    private void saveQuietly(MigrationJournal journal) {
        try {
            MigrationJournal stamped = journal.step(null, clock.instant().toString());
            journals.save(stamped);
            listener.changed(stamped);
        } catch (IOException e) {
            LOG.warn("Could not record migration progress for {}: {}", journal.id(), e.getMessage());
        }
    }

    @Override
    public void close() {
        if (ownsStorage) {
            storage.close();
        }
    }

    /** What --from names. */
    enum SourceKind {
        BACKUP("backup"), ZIP("zip"), DEPLOYMENT("deployment"), MOMENT("point in time");

        final String label;

        SourceKind(String label) {
            this.label = label;
        }

        static SourceKind of(String from) {
            if (from == null || from.isBlank()) {
                throw new MigrationRefusedException("--from is required: a backup id, latest, a ZIP file, a deployment URL"
                        + " or a moment");
            }
            if (PointInTimeSnapshotSource.isMoment(from)) {
                return MOMENT;
            }
            if (from.matches("https?://.+")) {
                return DEPLOYMENT;
            }
            if (from.equals("latest") || from.matches("\\d+")) {
                return BACKUP;
            }
            if (from.toLowerCase(Locale.ROOT).endsWith(".zip")) {
                if (!Files.isRegularFile(Path.of(from))) {
                    throw new MigrationRefusedException("the ZIP " + from + " does not exist or is not a file");
                }
                return ZIP;
            }
            throw new MigrationRefusedException("--from " + from + " is neither a backup id, latest, a .zip file, an http(s) URL"
                    + " nor a moment (an ISO-8601 UTC time or at:<snapshot ts>)");
        }
    }
}

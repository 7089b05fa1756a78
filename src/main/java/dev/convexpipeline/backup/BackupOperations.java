package dev.convexpipeline.backup;

import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The backup bean the routes call ({@code routes/backup.camel.yaml} and the admin API): one entry
 * point per operator verb, each delegating to the same {@link BackupService} the CLI uses. The
 * service is built on first use, so a pipeline without a Convex admin key still starts (and each
 * backup attempt then fails with that reason, visibly).
 */
public final class BackupOperations implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackupOperations.class);
    private static final Duration CATALOG_CACHE = Duration.ofMinutes(5);

    private final Function<BackupMetrics, BackupService> services;
    private final BackupMetrics metrics;
    private final Clock clock;
    private final boolean pruneAfterBackup;
    private BackupService service;
    private volatile Instant newestInStorage;
    private volatile Instant newestCheckedAt;

    /** @param services builds the service (on first use) over the metrics given */
    public BackupOperations(Function<BackupMetrics, BackupService> services, BackupMetrics metrics, Clock clock,
                            boolean pruneAfterBackup) {
        this.services = services;
        this.metrics = metrics;
        this.clock = clock;
        this.pruneAfterBackup = pruneAfterBackup;
    }

    public BackupMetrics metrics() {
        return metrics;
    }

    synchronized BackupService service() {
        if (service == null) {
            try {
                service = services.apply(metrics);
            } catch (RuntimeException e) {
                metrics.failure(clock.instant(), e.getMessage());
                throw new BackupFailedException("Backups are not configured: " + e.getMessage(), e);
            }
        }
        return service;
    }

    /** The scheduled run: backup, then retention; a failure is logged and counted, and the next schedule retries. */
    public Map<String, Object> scheduled() {
        try {
            Map<String, Object> result = run();
            if (pruneAfterBackup) {
                PruneReport pruned = service().prune(false);
                result.put("pruned", pruned.deleted());
                result.put("changeLogPruned", dev.convexpipeline.pitr.ChangeRetention.prune(service().target(),
                        service().layout(), clock.instant(), false).size());
            }
            return result;
        } catch (BackupFailedException e) {
            // Already logged with its reason by the service; the exchange must not fail the route forever.
            return Map.of("ok", false, "error", e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.error("Pruning after the backup failed: {}", e.getMessage());
            return Map.of("ok", false, "error", "Pruning failed: " + e.getMessage());
        }
    }

    /** {@code POST /admin/backup/run}: one backup now. */
    public Map<String, Object> run() {
        BackupManifest manifest = service().run();
        newestInStorage = manifest.snapshotInstant();
        newestCheckedAt = clock.instant();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("ok", true);
        result.put("id", manifest.id());
        result.put("snapshotTime", manifest.snapshotTime());
        result.put("bytes", manifest.zip().bytes());
        result.put("sha256", manifest.zip().sha256());
        result.put("tables", manifest.userTables());
        result.put("documents", manifest.documents());
        result.put("target", service().target().describe());
        return result;
    }

    /** {@code GET /admin/backup/list}. */
    public Map<String, Object> list() throws IOException {
        BackupCatalog.Listing listing = service().list();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("target", service().target().describe());
        result.put("instance", service().layout().instance());
        result.put("backups", listing.backups().stream().map(entry -> BackupSummary.of(entry, service().target())).toList());
        result.put("incomplete", listing.incomplete().stream().map(StoredObject::key).toList());
        result.put("restorableWindows", dev.convexpipeline.pitr.RestorableWindows.of(service().target(), service().layout(),
                listing.backups()));
        return result;
    }

    /** {@code POST /admin/backup/verify?id=<id|latest>}. */
    public VerifyReport verify(@Header("query.id") String id) throws IOException {
        return service().verify(id == null || id.isBlank() ? "latest" : id);
    }

    /** The optional scheduled verify of the newest backup. */
    public void verifyLatestScheduled() {
        try {
            VerifyReport report = service().verify("latest");
            if (!report.ok()) {
                LOG.error("Scheduled verify: backup {} does not match its manifest: {}", report.id(), report.firstDifference());
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("Scheduled verify could not run: {}", e.getMessage());
        }
    }

    /** {@code POST /admin/backup/prune?dryRun=true|false} (dry run unless {@code dryRun=false}). */
    public Map<String, Object> prune(@Header("query.dryRun") String dryRun) throws IOException {
        PruneReport report = service().prune(!"false".equalsIgnoreCase(dryRun));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("changeLog", dev.convexpipeline.pitr.ChangeRetention.prune(service().target(), service().layout(),
                clock.instant(), report.dryRun()));
        result.put("dryRun", report.dryRun());
        result.put("delete", report.decisions().stream().filter(RetentionPolicy.Decision::delete)
                .map(d -> Map.of("id", d.backup().id(), "snapshotTime", d.backup().snapshotTime().toString(), "reason", d.reason()))
                .toList());
        result.put("keep", report.decisions().stream().filter(d -> !d.delete())
                .map(d -> Map.of("id", d.backup().id(), "snapshotTime", d.backup().snapshotTime().toString(), "reason", d.reason()))
                .toList());
        result.put("incomplete", report.incomplete());
        return result;
    }

    /**
     * The newest successful backup: this process's last success, else the newest manifest in
     * storage (read at most every five minutes, so health probes do not list the bucket each time).
     */
    public Instant newestBackup() throws IOException {
        Instant now = clock.instant();
        if (newestCheckedAt == null || newestCheckedAt.plus(CATALOG_CACHE).isBefore(now)) {
            newestInStorage = service().list().newest().map(BackupEntry::snapshotTime).orElse(null);
            newestCheckedAt = now;
        }
        Instant local = metrics.lastSuccess();
        if (local != null && (newestInStorage == null || local.isAfter(newestInStorage))) {
            return local;
        }
        return newestInStorage;
    }

    public List<String> describe() {
        return List.of(service().target().describe());
    }

    @Override
    public synchronized void close() {
        if (service != null) {
            service.close();
        }
    }
}

package dev.convexpipeline.backup;

import org.apache.camel.Body;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.SimpleEventNotifierSupport;
import org.apache.camel.support.SynchronizationAdapter;
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
public final class BackupOperations implements AutoCloseable, CamelContextAware {
    private static final Logger LOG = LoggerFactory.getLogger(BackupOperations.class);
    private static final Duration CATALOG_CACHE = Duration.ofMinutes(5);

    private final Function<BackupMetrics, BackupService> services;
    private final BackupMetrics metrics;
    private final Clock clock;
    private final boolean pruneAfterBackup;
    /** How long shutdown waits for an interrupted backup to finish aborting its upload. */
    private static final Duration SHUTDOWN_ABORT_GRACE = Duration.ofSeconds(30);
    private BackupService service;
    private CamelContext camelContext;
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

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    /** Camel sets the context when it binds this bean; from then on, Camel stopping interrupts a running backup. */
    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
        camelContext.getManagementStrategy().addEventNotifier(new SimpleEventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                if (event.getType() == CamelEvent.Type.CamelContextStopping) {
                    interruptForShutdown();
                }
            }
        });
    }

    /**
     * Stops a running backup before Camel waits for in-flight exchanges: its upload is aborted
     * (nothing half-written remains), it is logged and counted as interrupted by shutdown and leaves
     * an interrupted marker. Without this, a long backup would hold shutdown until the timeout and
     * then be cut off with nothing recorded.
     */
    public void interruptForShutdown() {
        BackupService running;
        synchronized (this) {
            running = service;
        }
        if (running != null && !running.interrupt("interrupted by shutdown", SHUTDOWN_ABORT_GRACE)) {
            LOG.warn("The running backup did not stop within {} s of shutdown; bucket lifecycle rule"
                    + " AbortIncompleteMultipartUpload or backup prune removes what it left", SHUTDOWN_ABORT_GRACE.toSeconds());
        }
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

    // ---- the steps of routes/backup.camel.yaml (route backup-run), one each ------------------

    /** Step 1: claims the run and exports a snapshot; the body becomes the run (its stream, never its bytes). */
    public BackupRun export(Exchange exchange) throws Exception {
        BackupRun run = service().start();
        // Ends the run (next one may start) however the exchange ends, on whichever thread.
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                run.close();
            }
        });
        exchange.getIn().setBody(run);
        service().export(run);
        return run;
    }

    /** Step 2: streams the snapshot into storage while hashing it (retrying what can pass). */
    public BackupRun upload(@Body BackupRun run) throws Exception {
        service().upload(run);
        return run;
    }

    /** Step 3: writes the manifest; the body becomes the run's summary (what {@code POST /admin/backup/run} answers). */
    public Map<String, Object> writeManifest(@Body BackupRun run) throws IOException {
        return summary(service().writeManifest(run));
    }

    /** Whether a scheduled backup is followed by retention (backup.prune-after-backup). */
    public boolean pruneAfterBackup() {
        return pruneAfterBackup;
    }

    /** Step 4 (after a scheduled backup): applies the backup retention policy. */
    public Map<String, Object> pruneBackups(@Body Map<String, Object> result) throws IOException {
        result.put("pruned", service().prune(false).deleted());
        return result;
    }

    /** Step 5: deletes change-log objects no remaining backup can use. */
    public Map<String, Object> pruneChangeLog(@Body Map<String, Object> result) throws IOException {
        result.put("changeLogPruned", dev.convexpipeline.pitr.ChangeRetention.prune(service().target(),
                service().layout(), clock.instant(), false).size());
        return result;
    }

    /**
     * The route's onException: logs the failure on one line and counts it (the exchange still fails,
     * so Camel's failed-exchange counters count it too); the exception becomes the
     * {@link BackupFailedException} that names the backup and the reason.
     */
    public void failed(Exchange exchange) {
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        BackupRun run = exchange.getIn().getBody() instanceof BackupRun current ? current : null;
        BackupFailedException failure;
        if (error instanceof BackupFailedException notStarted && run == null) {
            // Not configured (already counted) or another backup still running: nothing was attempted.
            LOG.warn("{}", notStarted.getMessage());
            failure = notStarted;
        } else {
            failure = error == null ? null : service().failed(run, error);
        }
        if (failure != null) {
            exchange.setProperty(Exchange.EXCEPTION_CAUGHT, failure);
        }
    }

    /**
     * The scheduled route's onException: a failed backup was logged and counted by {@link #failed};
     * what is left to log is a failed prune after a good backup.
     */
    public void scheduledFailed(Exchange exchange) {
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (error != null && !(error instanceof BackupFailedException)) {
            LOG.error("Pruning after the backup failed: {}", dev.convexpipeline.OperatorMessages.describe(error));
        }
    }

    /** {@code POST /admin/backup/run}: one backup now, the same steps in one call (the CLI's path). */
    public Map<String, Object> run() {
        return summary(service().run());
    }

    private Map<String, Object> summary(BackupManifest manifest) {
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

    /**
     * The optional scheduled verify (route backup-verify): re-reads the newest backup; a difference
     * fails the exchange (the service has logged it) like a verify that cannot run.
     */
    public VerifyReport verifyLatest() throws IOException {
        VerifyReport report = service().verify("latest");
        if (!report.ok()) {
            throw new BackupVerifyException(report);
        }
        return report;
    }

    /** The verify route's onException: one line for a verify that could not run (a difference is logged already). */
    public void verifyFailed(Exchange exchange) {
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (error != null && !(error instanceof BackupVerifyException)) {
            LOG.error("Scheduled verify could not run: {}", dev.convexpipeline.OperatorMessages.describe(error));
        }
    }

    /** A backup that does not match its manifest, as the scheduled verify's failure. */
    static final class BackupVerifyException extends RuntimeException {
        BackupVerifyException(VerifyReport report) {
            super("Backup " + report.id() + " does not match its manifest: " + report.firstDifference(), null, false, false);
        }
    }

    /** {@code POST /admin/backup/prune?dryRun=true|false} (dry run unless {@code dryRun=false}). */
    public Map<String, Object> prune(@Header("query.dryRun") String dryRun) throws IOException {
        PruneReport report = service().prune(!"false".equalsIgnoreCase(dryRun));
        return report.toJson(dev.convexpipeline.pitr.ChangeRetention.prune(service().target(), service().layout(),
                clock.instant(), report.dryRun()));
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

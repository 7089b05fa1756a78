package dev.convexpipeline.backup;

import dev.convexpipeline.OperatorMessages;
import dev.convexpipeline.PipelineVersion;
import dev.convexpipeline.retry.RetryPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;

/**
 * Takes, verifies, lists and prunes backups. The scheduled route, the admin API and the CLI all
 * call this one class, so every trigger runs the same flow:
 * <ol>
 *   <li>take a snapshot from the source (Convex export) and open its ZIP stream;</li>
 *   <li>stream it into the target while {@link SnapshotScanner} hashes it and counts every table —
 *       one pass, no temporary file, memory bounded by the target's part buffers;</li>
 *   <li>complete the upload, then write the manifest; a backup without a manifest is not a backup.</li>
 * </ol>
 * On any failure the upload is aborted (or the completed ZIP deleted if only the manifest failed),
 * the failure is logged and counted, and the exception names the backup and the reason.
 */
public final class BackupService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackupService.class);
    /** A ZIP without a manifest this old cannot be a run still finishing: prune removes it. */
    static final Duration INCOMPLETE_GRACE = Duration.ofHours(24);

    private final BackupTarget target;
    private final SnapshotSource source;
    private final BackupLayout layout;
    private final BackupCatalog catalog;
    private final RetentionPolicy retention;
    private final BackupMetrics metrics;
    private final Clock clock;
    /** One backup at a time; a semaphore, not a lock, because the route may end a run on another thread. */
    private final Semaphore running = new Semaphore(1);
    private volatile BackupRun current;
    /** Set once the pipeline shuts down: the running backup stops with it as its reason. */
    private volatile String stopReason;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Duration stallTimeout = Duration.ofMinutes(5);
    private RetryPolicy retries = RetryPolicy.noRetries();

    public BackupService(BackupTarget target, SnapshotSource source, RetentionPolicy retention, BackupMetrics metrics,
                         Clock clock) {
        this.target = target;
        this.source = source;
        this.layout = new BackupLayout(source.instance());
        this.catalog = new BackupCatalog(target, layout);
        this.retention = retention;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** A backup fails when Convex sends nothing for this long (the HTTP client has no read timeout of its own). */
    public BackupService withStallTimeout(Duration timeout) {
        this.stallTimeout = timeout;
        return this;
    }

    /**
     * Streams the same snapshot again, up to {@code attempts} times in all, when an attempt fails for
     * a reason that can pass (the download or the storage connection broke, S3 answered 5xx), waiting
     * up to {@code delay}, then up to twice as long, and so on (the pipeline's {@link RetryPolicy}: each
     * wait is jittered between half and all of that). Refusals (403, a missing bucket, a KMS key S3
     * cannot use) and a broken ZIP fail at once: another attempt would end the same way.
     */
    public BackupService withAttempts(int attempts, Duration delay) {
        if (attempts < 1) {
            throw new IllegalArgumentException("backup.attempts (BACKUP_ATTEMPTS) must be at least 1, got " + attempts);
        }
        // Doubling stops at 2^10 times the first delay, as it always has.
        this.retries = new RetryPolicy(attempts, delay, delay.multipliedBy(1024));
        return this;
    }

    /** Closes {@code resource} (e.g. the Convex client) together with this service. */
    public BackupService alsoClosing(AutoCloseable resource) {
        resources.add(resource);
        return this;
    }

    public BackupTarget target() {
        return target;
    }

    public BackupLayout layout() {
        return layout;
    }

    public BackupMetrics metrics() {
        return metrics;
    }

    public RetentionPolicy retention() {
        return retention;
    }

    // ---- backup run -----------------------------------------------------------------------

    /**
     * Takes one backup now: {@link #start}, {@link #export}, {@link #upload}, {@link #writeManifest}
     * — the steps {@code routes/backup.camel.yaml} shows, run here in one call for the CLI.
     *
     * @throws BackupFailedException when anything fails; nothing that looks like a backup is left
     */
    public BackupManifest run() {
        BackupRun run = start();
        try {
            export(run);
            upload(run);
            return writeManifest(run);
        } catch (Exception e) {
            throw failed(run, e);
        } finally {
            run.close();
        }
    }

    /** Claims the instance's one running backup; {@link BackupRun#close()} releases it. */
    public BackupRun start() {
        if (stopReason != null) {
            throw new BackupFailedException("Backup not started: the pipeline is shutting down", null);
        }
        if (!running.tryAcquire()) {
            throw new BackupFailedException("Backup not started: another backup of " + source.instance()
                    + " is running; wait for it to finish", null);
        }
        Instant started = clock.instant();
        BackupRun run = new BackupRun(started, "of " + source.instance() + " started " + started, () -> {
            current = null;
            MDC.remove("backupId");
            running.release();
        });
        current = run;
        return run;
    }

    /** Step 1: asks Convex for a snapshot and opens its ZIP stream (nothing read yet). */
    public void export(BackupRun run) throws Exception {
        run.snapshot = source.take();
        long ts = run.snapshot.snapshotTs();
        // Every log line of this backup carries its id (the snapshot timestamp).
        MDC.put("backupId", Long.toString(ts));
        run.label = ts + " (" + BackupLayout.toInstant(ts) + ")";
    }

    /**
     * Step 2: streams the ZIP into the target while hashing and counting it, then completes the
     * upload. An attempt that fails for a reason that can pass streams the same snapshot again.
     */
    public void upload(BackupRun run) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                run.scanned = storeZip(run.snapshot);
                return;
            } catch (Exception e) {
                if (!retries.allowsAttemptAfter(attempt) || !mayPass(e) || stopReason != null) {
                    throw e;
                }
                Duration delay = retries.delayBefore(attempt + 1, null);
                LOG.warn("Backup {} attempt {}/{} failed: {}; {}, streaming the same snapshot again in {} s", run.label,
                        attempt, retries.maxAttempts(), OperatorMessages.describe(e), whatWasKept(e), delay.toSeconds());
                RetryPolicy.pause(delay);
                Optional<SnapshotSource.Snapshot> again = source.reopen(run.snapshot);
                if (again.isEmpty()) {
                    throw e;
                }
                run.snapshot = again.get();
            }
        }
    }

    /** Step 3: writes the manifest beside the ZIP, which makes it a backup; without one the ZIP is deleted. */
    public BackupManifest writeManifest(BackupRun run) throws IOException {
        long ts = run.snapshot.snapshotTs();
        String zipKey = layout.key(ts, BackupLayout.Kind.ZIP);
        SnapshotScanner.Result scanned = run.scanned;
        BackupManifest manifest = manifest(run.snapshot, scanned, run.started, clock.instant());
        try {
            target.put(layout.key(ts, BackupLayout.Kind.MANIFEST), manifest.toJson(), "application/json");
        } catch (IOException | RuntimeException e) {
            deleteQuietly(zipKey);
            throw e;
        }
        run.manifest = manifest;
        Duration took = Duration.between(run.started, clock.instant());
        metrics.success(clock.instant(), took, scanned.bytes(), scanned.userDocuments());
        LOG.info("Backup {} done: {} bytes, {} documents in {} tables, sha256 {}, {} ms, stored at {} {}",
                run.label, scanned.bytes(), scanned.userDocuments(), manifest.userTables(), scanned.sha256(),
                took.toMillis(), target.describe(), zipKey);
        return manifest;
    }

    /**
     * The one place a failed run is logged (one line) and counted. A run cut off by shutdown is
     * logged as interrupted and leaves an {@code .interrupted.json} marker (its upload is already
     * aborted), so listings show it. A run that never started (another was running) is not counted.
     */
    public BackupFailedException failed(BackupRun run, Throwable error) {
        if (error instanceof BackupFailedException notStarted && (run == null || run.snapshot == null)
                && notStarted.getMessage().startsWith("Backup not started")) {
            return notStarted;
        }
        if (error instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        String label = run == null ? "of " + source.instance() : run.label;
        String reason = OperatorMessages.describe(error);
        String shutdown = stopReason;
        if (shutdown != null) {
            metrics.failure(clock.instant(), shutdown);
            String message = "Backup " + label + " " + shutdown;
            LOG.error("{} — {}; {}", message, whatWasKept(error), markInterrupted(run, reason));
            return new BackupFailedException(message + ": " + reason, error);
        }
        metrics.failure(clock.instant(), reason);
        String message = "Backup " + label + " failed: " + reason;
        LOG.error("{} — {}; the next scheduled run tries again", message, whatWasKept(error));
        return new BackupFailedException(message, error);
    }

    /** Writes the interrupted marker of a run that had a snapshot; says where, for the log line. */
    private String markInterrupted(BackupRun run, String reason) {
        if (run == null || run.snapshot == null) {
            return "no snapshot was taken yet";
        }
        String key = layout.key(run.snapshot.snapshotTs(), BackupLayout.Kind.INTERRUPTED);
        try {
            target.put(key, BackupManifest.JSON.writeValueAsBytes(Map.of("interruptedAt", clock.instant().toString(),
                    "startedAt", run.started.toString(), "reason", stopReason, "cause", reason)), "application/json");
            return "marked as interrupted in " + key + " (listed as incomplete; prune removes it after "
                    + INCOMPLETE_GRACE.toHours() + " h)";
        } catch (IOException | RuntimeException e) {
            return "could not write the interrupted marker " + key + ": " + e.getMessage();
        }
    }

    /**
     * Shutdown: a running backup stops at once — its upload is aborted, it is logged and counted as
     * interrupted — and no new one starts. Waits up to {@code grace} for the run to finish its abort.
     *
     * @return whether no backup is running any more
     */
    public boolean interrupt(String reason, Duration grace) {
        stopReason = reason;
        if (current == null) {
            return true;
        }
        try {
            if (running.tryAcquire(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                running.release();
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** One attempt of step 2: streams the snapshot into the target; leaves nothing when it fails. */
    private SnapshotScanner.Result storeZip(SnapshotSource.Snapshot snapshot) throws Exception {
        String zipKey = layout.key(snapshot.snapshotTs(), BackupLayout.Kind.ZIP);
        ObjectUpload upload = null;
        try (InputStream zip = snapshot.zip()) {
            upload = target.beginUpload(zipKey, snapshot.expectedBytes());
            SnapshotScanner.Result scanned = SnapshotScanner.scan(zip, upload, false, stallTimeout, () -> stopReason);
            if (snapshot.expectedBytes() >= 0 && scanned.bytes() != snapshot.expectedBytes()) {
                throw new IOException("Convex announced " + snapshot.expectedBytes() + " bytes but sent "
                        + scanned.bytes() + ": the download was cut short");
            }
            if (stopReason != null) {
                throw new IOException(stopReason);
            }
            upload.complete();
            return scanned;
        } catch (Exception e) {
            if (upload != null) {
                upload.abort();
                if (!upload.leftNothing()) {
                    e.addSuppressed(new PartsLeftBehind(zipKey));
                }
            }
            throw e;
        }
    }

    /** Marks a failed attempt whose uploaded parts could not be removed. */
    private static final class PartsLeftBehind extends Exception {
        PartsLeftBehind(String key) {
            super("parts of " + key + " could not be removed", null, false, false);
        }
    }

    /** What a failed attempt left: nothing, unless its upload could not be aborted. */
    static String whatWasKept(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            for (Throwable suppressed : cause.getSuppressed()) {
                if (suppressed instanceof PartsLeftBehind left) {
                    return left.getMessage() + " (the abort failed, see the warning above; a bucket lifecycle rule"
                            + " AbortIncompleteMultipartUpload or backup prune removes them)";
                }
            }
        }
        return "nothing of it was kept";
    }

    /**
     * Whether another attempt can succeed: a broken connection or stalled download, or S3 answering
     * 5xx/429. Not a refusal (4xx: credentials, policy, bucket, KMS key), not a ZIP that does not
     * parse, not Convex refusing or being down (its client has already retried).
     */
    static boolean mayPass(Throwable failure) {
        boolean io = false;
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SnapshotFormatException || cause instanceof dev.convexpipeline.convex.ConvexException) {
                return false;
            }
            if (cause instanceof software.amazon.awssdk.awscore.exception.AwsServiceException service) {
                return service.statusCode() >= 500 || service.statusCode() == 429;
            }
            if (cause instanceof software.amazon.awssdk.core.exception.SdkClientException) {
                return true;
            }
            io |= cause instanceof IOException;
        }
        return io;
    }

    private BackupManifest manifest(SnapshotSource.Snapshot snapshot, SnapshotScanner.Result scanned, Instant started,
                                    Instant finished) {
        Map<String, BackupManifest.Table> tables = new LinkedHashMap<>();
        scanned.tables().forEach((name, stats) -> tables.put(name, new BackupManifest.Table(stats.documents(), stats.digest())));
        long ts = snapshot.snapshotTs();
        return new BackupManifest(BackupManifest.FORMAT, BackupManifest.VERSION, Long.toString(ts),
                new BackupManifest.Source(snapshot.sourceUrl(), snapshot.instance()), ts,
                BackupLayout.toInstant(ts).toString(), started.toString(), finished.toString(),
                snapshot.includesFileStorage(),
                new BackupManifest.Zip(layout.zipName(ts), scanned.bytes(), scanned.sha256()),
                scanned.userDocuments(), tables, BackupManifest.TABLE_DIGEST, scanned.entries(), scanned.storageFiles(),
                PipelineVersion.get());
    }

    private void deleteQuietly(String key) {
        try {
            target.delete(key);
        } catch (IOException e) {
            LOG.warn("Could not delete {} after the backup failed ({}); it has no manifest, so it is not listed"
                    + " as a backup and prune removes it after {}", key, e.getMessage(), INCOMPLETE_GRACE);
        }
    }

    // ---- list -----------------------------------------------------------------------------

    public BackupCatalog.Listing list() throws IOException {
        return catalog.read();
    }

    public BackupEntry find(String idOrLatest) throws IOException {
        return catalog.find(idOrLatest).orElseThrow(() -> new BackupNotFoundException("latest".equals(idOrLatest)
                ? "There is no backup of " + source.instance() + " in " + target.describe()
                : "No backup " + idOrLatest + " of " + source.instance() + " in " + target.describe()
                + "; `backup list` shows the ids"));
    }

    // ---- verify ---------------------------------------------------------------------------

    /** Re-reads a backup and compares it with its manifest; records the result beside it. */
    public VerifyReport verify(String idOrLatest) throws IOException {
        BackupEntry entry = find(idOrLatest);
        long startNanos = System.nanoTime();
        List<String> differences = new ArrayList<>();
        SnapshotScanner.Result scanned = null;
        BackupManifest manifest = entry.manifest();
        if (manifest == null) {
            differences.add("manifest " + entry.manifestKey() + " is unreadable: " + entry.problem());
        } else if (!entry.zipPresent()) {
            differences.add("ZIP " + entry.zipKey() + " is missing");
        } else {
            try (InputStream zip = target.open(entry.zipKey())) {
                scanned = SnapshotScanner.scan(zip, null, true);
            }
            compare(manifest, scanned, differences);
        }
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        boolean ok = differences.isEmpty();
        VerifyReport report = new VerifyReport(entry.id(), ok, List.copyOf(differences),
                scanned == null ? 0 : scanned.bytes(), scanned == null ? null : scanned.sha256(),
                scanned == null ? 0 : (int) scanned.tables().keySet().stream().filter(SnapshotScanner::isUserTable).count(),
                scanned == null ? 0 : scanned.userDocuments(), millis);
        BackupEntry.Verification mark = new BackupEntry.Verification(clock.instant().toString(), ok, report.firstDifference());
        target.put(layout.key(Long.parseLong(entry.id()), BackupLayout.Kind.VERIFIED),
                BackupManifest.JSON.writeValueAsBytes(mark), "application/json");
        metrics.verified(ok);
        if (ok) {
            LOG.info("Backup {} verified: {} bytes, sha256 {}, {} tables, {} documents, {} ms", entry.id(),
                    report.bytes(), report.sha256(), report.tables(), report.documents(), millis);
        } else {
            LOG.error("Backup {} FAILED verification: {} ({} difference(s))", entry.id(), report.firstDifference(),
                    differences.size());
        }
        return report;
    }

    private static void compare(BackupManifest manifest, SnapshotScanner.Result scanned, List<String> differences) {
        if (scanned.bytes() != manifest.zip().bytes()) {
            differences.add("size: the ZIP has " + scanned.bytes() + " bytes, the manifest says " + manifest.zip().bytes());
        }
        if (!scanned.sha256().equals(manifest.zip().sha256())) {
            differences.add("SHA-256: the ZIP hashes to " + scanned.sha256() + ", the manifest says " + manifest.zip().sha256());
        }
        differences.addAll(scanned.problems());
        for (Map.Entry<String, BackupManifest.Table> expected : manifest.tables().entrySet()) {
            String table = expected.getKey();
            SnapshotScanner.TableStats actual = scanned.tables().get(table);
            if (actual == null) {
                differences.add("table " + table + ": missing from the ZIP");
            } else if (actual.documents() != expected.getValue().documents()) {
                differences.add("table " + table + ": " + actual.documents() + " documents in the ZIP, the manifest says "
                        + expected.getValue().documents());
            } else if (!actual.digest().equals(expected.getValue().digest())) {
                differences.add("table " + table + ": content digest differs (same document count, different content)");
            }
        }
        for (String table : scanned.tables().keySet()) {
            if (!manifest.tables().containsKey(table)) {
                differences.add("table " + table + ": in the ZIP but not in the manifest");
            }
        }
    }

    // ---- retention ------------------------------------------------------------------------

    /** Applies the retention policy; with {@code dryRun} only reports what would go. */
    public PruneReport prune(boolean dryRun) throws IOException {
        BackupCatalog.Listing listing = catalog.read();
        Instant now = clock.instant();
        List<RetentionPolicy.Decision> decisions = retention.decide(listing.backups(), now);
        List<String> leftovers = new ArrayList<>();
        for (StoredObject orphan : listing.incomplete()) {
            if (orphan.lastModified().isBefore(now.minus(INCOMPLETE_GRACE))) {
                leftovers.add(orphan.key());
            }
        }
        List<BackupTarget.Leftover> abandoned = target.leftovers(layout.instancePrefix(), now.minus(INCOMPLETE_GRACE));
        abandoned.forEach(leftover -> leftovers.add(leftover.describe()));
        if (!dryRun) {
            for (RetentionPolicy.Decision decision : decisions) {
                if (decision.delete()) {
                    BackupEntry backup = decision.backup();
                    long ts = Long.parseLong(backup.id());
                    // Manifest first: if deleting stops half-way, what remains is not listed as a backup.
                    target.delete(backup.manifestKey());
                    target.delete(layout.key(ts, BackupLayout.Kind.VERIFIED));
                    target.delete(backup.zipKey());
                    LOG.info("Pruned backup {} ({}): {}", backup.id(), backup.snapshotTime(), decision.reason());
                }
            }
            for (StoredObject orphan : listing.incomplete()) {
                if (leftovers.contains(orphan.key())) {
                    target.delete(orphan.key());
                    LOG.info("Pruned incomplete upload {} (no manifest)", orphan.key());
                }
            }
            for (BackupTarget.Leftover leftover : abandoned) {
                leftover.discard();
                LOG.info("Pruned {}", leftover.describe());
            }
        }
        return new PruneReport(dryRun, decisions, List.copyOf(leftovers));
    }

    // ---- pins -----------------------------------------------------------------------------

    /**
     * Pins a backup (a small {@code .pin} object beside it, so the write-once manifest never changes)
     * or unpins it (deletes that object); returns the backup as listed afterwards.
     */
    public BackupEntry setPinned(String idOrLatest, boolean pinned) throws IOException {
        BackupEntry entry = find(idOrLatest);
        String pinKey = layout.key(Long.parseLong(entry.id()), BackupLayout.Kind.PIN);
        if (pinned) {
            target.put(pinKey, ("{\"pinnedAt\":\"" + clock.instant() + "\"}\n").getBytes(StandardCharsets.UTF_8),
                    "application/json");
        } else {
            target.delete(pinKey);
        }
        return find(entry.id());
    }

    public BackupEntry pin(String idOrLatest) throws IOException {
        return setPinned(idOrLatest, true);
    }

    public BackupEntry unpin(String idOrLatest) throws IOException {
        return setPinned(idOrLatest, false);
    }

    @Override
    public void close() {
        target.close();
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.debug("Closing {} failed: {}", resource, e.toString());
            }
        }
    }
}

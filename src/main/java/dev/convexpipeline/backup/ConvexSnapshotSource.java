package dev.convexpipeline.backup;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ExportStatus;
import dev.convexpipeline.convex.PendingExport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;

/**
 * Snapshots from a Convex deployment, the way {@code npx convex export} takes them: request a ZIP
 * export, wait for it to complete, then stream {@code GET /api/export/zip/<start_ts>}.
 */
public final class ConvexSnapshotSource implements SnapshotSource {
    private static final Logger LOG = LoggerFactory.getLogger(ConvexSnapshotSource.class);

    private final ConvexClient convex;
    private final String instance;
    private final boolean includeStorage;
    private final Duration exportTimeout;

    /**
     * @param instance the instance name; {@code null} derives it from the admin key
     *                 ({@code <instance>|<hex>}, the part before {@code |} names the instance and is not secret)
     */
    public ConvexSnapshotSource(ConvexClient convex, String instance, boolean includeStorage, Duration exportTimeout) {
        this.convex = convex;
        this.instance = instance == null || instance.isBlank() ? instanceFromAdminKey(convex.config().adminKey()) : instance;
        this.includeStorage = includeStorage;
        this.exportTimeout = exportTimeout;
    }

    /** The instance name an admin key carries ({@code [type:]<instance>|<hex>}). */
    public static String instanceFromAdminKey(String adminKey) {
        String key = adminKey;
        int colon = key.indexOf(':');
        // Typed keys look like prod:<instance>|<hex>; the prefix is not part of the name.
        if (colon >= 0 && colon < key.indexOf('|')) {
            key = key.substring(colon + 1);
        }
        int bar = key.indexOf('|');
        if (bar <= 0) {
            throw new IllegalArgumentException("Cannot tell the Convex instance name from the admin key (expected"
                    + " <instance>|<hex>): set backup.instance (BACKUP_INSTANCE)");
        }
        return key.substring(0, bar);
    }

    @Override
    public Snapshot take() {
        PendingExport pending = convex.requestExport(includeStorage);
        ExportStatus done = convex.awaitExport(pending, exportTimeout, Duration.ofSeconds(1),
                progress -> LOG.info("Convex export: {}", progress));
        return open(done.startTs(), done.sizeBytes() == null ? -1 : done.sizeBytes());
    }

    @Override
    public Optional<Snapshot> reopen(Snapshot taken) {
        return Optional.of(open(taken.snapshotTs(), taken.expectedBytes()));
    }

    private Snapshot open(long startTs, long recordedBytes) {
        ConvexClient.ExportDownload download = convex.openExportDownload(startTs);
        // The download's Content-Length is what will arrive; the export's recorded size is the fallback.
        long expected = download.contentLength() >= 0 ? download.contentLength() : recordedBytes;
        return new Snapshot(startTs, sourceUrl(), instance, includeStorage, expected, download.body());
    }

    @Override
    public String instance() {
        return instance;
    }

    @Override
    public String sourceUrl() {
        return convex.config().deploymentUrl().toString();
    }
}

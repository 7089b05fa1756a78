package dev.convexpipeline.migration;

import dev.convexpipeline.backup.BackupLayout;
import dev.convexpipeline.backup.SnapshotScanner;
import dev.convexpipeline.backup.SnapshotSource;
import dev.convexpipeline.pitr.Materializer;
import dev.convexpipeline.pitr.RestoreService;

import java.io.IOException;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.TreeMap;

/**
 * The state of a deployment at a moment (its newest base backup plus the captured changes up to it),
 * materialized as a snapshot ZIP and stored in the catalog like any other migration source. It lives
 * in its own folder, {@code <instance>.point-in-time}, so it is never taken for a base backup of the
 * deployment's own chain; its snapshot timestamp is the moment, so one moment always names one backup.
 */
final class PointInTimeSnapshotSource implements SnapshotSource {
    static final String FOLDER_SUFFIX = ".point-in-time";
    /** Prefix that makes any moment (also a bare snapshot timestamp, which alone names a backup id) a point in time. */
    static final String PREFIX = "at:";

    private final RestoreService restore;
    private final String deploymentInstance;
    private final long atTs;
    private RestoreService.MaterializedSnapshot open;

    PointInTimeSnapshotSource(RestoreService restore, String deploymentInstance, long atTs) {
        this.restore = restore;
        this.deploymentInstance = deploymentInstance;
        this.atTs = atTs;
    }

    /** Whether {@code --from} names a moment: {@code at:<time or ts>} or an ISO-8601 time. */
    static boolean isMoment(String from) {
        return from.startsWith(PREFIX) || from.matches("\\d{4}-\\d{2}-\\d{2}T.+");
    }

    /** The moment as a snapshot timestamp (ns); refuses what is not a time. */
    static long momentOf(String from) {
        String value = from.startsWith(PREFIX) ? from.substring(PREFIX.length()) : from;
        try {
            return dev.convexpipeline.pitr.RestorePlanner.parseMoment(value);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new MigrationRefusedException("--from " + from + " is not a moment: give an ISO-8601 UTC time like"
                    + " 2026-12-03T21:15:00Z or at:<snapshot ts in ns>");
        }
    }

    /** How the journal names a moment: the ISO-8601 instant to the nanosecond, the same on every resume. */
    static String canonical(long atTs) {
        return BackupLayout.toInstant(atTs).toString();
    }

    static BackupLayout layout(String deploymentInstance) {
        return new BackupLayout(deploymentInstance + FOLDER_SUFFIX);
    }

    @Override
    public Snapshot take() throws IOException {
        open = restore.open(atTs, null);
        return new Snapshot(atTs, sourceUrl(), instance(), false, -1, open.stream());
    }

    /** After the backup stored the ZIP: the materializer's own per-table counts and digests (user tables). */
    Map<String, SnapshotScanner.TableStats> written() throws IOException {
        try {
            Materializer.Result result = open.awaitResult();
            Map<String, SnapshotScanner.TableStats> tables = new TreeMap<>();
            result.tables().forEach((table, stats) -> {
                if (SnapshotScanner.isUserTable(table)) {
                    tables.put(table, stats);
                }
            });
            return tables;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while materializing the state at " + canonical(atTs), e);
        }
    }

    /** Stops the materializer if the backup gave up reading. */
    void close() throws IOException {
        if (open != null) {
            try {
                open.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String instance() {
        return layout(deploymentInstance).instance();
    }

    @Override
    public String sourceUrl() {
        return "state of " + deploymentInstance + " at " + canonical(atTs);
    }
}

package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.BackupCatalog;
import dev.convexpipeline.backup.BackupEntry;
import dev.convexpipeline.backup.BackupLayout;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.backup.StoredObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Retention of the change log, applied after backup retention: a segment is useful only after a base
 * backup it can be applied to. Deleted: segments that end at or before the oldest base backup of their
 * chain, whole chains with no base backup left, breaks older than every backup, and segment uploads
 * without a manifest older than a day (a flush killed before its manifest).
 */
public final class ChangeRetention {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeRetention.class);
    static final Duration INCOMPLETE_GRACE = Duration.ofHours(24);

    private ChangeRetention() {
    }

    /** @return the keys deleted (or, for a dry run, that would be) */
    public static List<String> prune(BackupTarget target, BackupLayout layout, Instant now, boolean dryRun) throws IOException {
        ChangeLayout changes = new ChangeLayout(layout);
        List<BackupEntry> backups = new BackupCatalog(target, layout).read().backups();
        ChangeCatalog.Listing listing = new ChangeCatalog(target, changes).read(backups);
        List<String> doomed = new ArrayList<>();
        for (ChangeCatalog.Chain chain : listing.chains()) {
            for (ChangeCatalog.Segment segment : chain.segments()) {
                if (!chain.restorable() || segment.toTs() <= chain.windowStart()) {
                    // Manifest first: a segment without one no longer exists for any reader.
                    doomed.add(segment.manifestKey());
                    doomed.add(segment.key());
                }
            }
        }
        long oldestBackup = backups.stream().mapToLong(b -> Long.parseLong(b.id())).min().orElse(Long.MAX_VALUE);
        for (ChainBreak gap : listing.breaks()) {
            if (gap.afterTs() < oldestBackup) {
                doomed.add(changes.breakKey(gap.afterTs()));
            }
        }
        for (StoredObject leftover : listing.incomplete()) {
            if (leftover.lastModified().plus(INCOMPLETE_GRACE).isBefore(now)) {
                doomed.add(leftover.key());
            }
        }
        if (!dryRun) {
            for (String key : doomed) {
                target.delete(key);
            }
            if (!doomed.isEmpty()) {
                LOG.info("Change log retention deleted {} object(s) no base backup can use any more", doomed.size());
            }
        }
        return doomed;
    }
}

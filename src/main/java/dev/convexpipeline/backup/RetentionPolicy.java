package dev.convexpipeline.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Which backups to keep: the newest {@code keepLast} always, pinned ones always, and any younger
 * than {@code retention}; everything else goes. Age is measured from the snapshot time.
 */
public record RetentionPolicy(Duration retention, int keepLast) {

    public RetentionPolicy {
        if (retention.isNegative()) {
            throw new IllegalArgumentException("backup.retention-days (BACKUP_RETENTION_DAYS) must not be negative");
        }
        if (keepLast < 1) {
            throw new IllegalArgumentException("backup.keep-last (BACKUP_KEEP_LAST) must be at least 1: pruning must never remove every backup");
        }
    }

    /** A backup and why it stays or goes. */
    public record Decision(BackupEntry backup, boolean delete, String reason) {
    }

    /** @param newestFirst backups sorted newest first, as {@link BackupCatalog.Listing#backups()} */
    public List<Decision> decide(List<BackupEntry> newestFirst, Instant now) {
        Instant cutoff = now.minus(retention);
        List<Decision> decisions = new ArrayList<>();
        int rank = 0;
        for (BackupEntry backup : newestFirst) {
            rank++;
            if (backup.pinned()) {
                decisions.add(new Decision(backup, false, "pinned"));
            } else if (rank <= keepLast) {
                decisions.add(new Decision(backup, false, "one of the newest " + keepLast));
            } else if (!backup.snapshotTime().isBefore(cutoff)) {
                decisions.add(new Decision(backup, false, "younger than " + retention.toDays() + " days"));
            } else {
                decisions.add(new Decision(backup, true, "older than " + retention.toDays() + " days"));
            }
        }
        return decisions;
    }
}

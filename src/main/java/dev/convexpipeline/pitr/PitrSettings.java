package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.BackupLayout;
import dev.convexpipeline.backup.BackupSettings;
import dev.convexpipeline.backup.ConvexSnapshotSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;

/**
 * Point-in-time settings ({@code changes.*}) plus the backup settings they share: the storage and
 * the instance name, so the change log lands beside the backups it continues.
 */
public record PitrSettings(BackupSettings backup, boolean enabled, Duration flushInterval, Duration maxLag,
                           Path spillDirectory) {

    public static PitrSettings load(Function<String, String> property) {
        BackupSettings backup = BackupSettings.load(property);
        Duration flush = BackupSettings.duration(text(property, "changes.flush-interval", "10s"), "changes.flush-interval");
        if (flush.isZero() || flush.isNegative()) {
            throw new IllegalArgumentException("changes.flush-interval (CHANGES_FLUSH_INTERVAL) must be positive, got " + flush);
        }
        return new PitrSettings(backup, Boolean.parseBoolean(text(property, "changes.enabled", "true")), flush,
                BackupSettings.duration(text(property, "changes.max-lag", "5m"), "changes.max-lag"),
                Path.of(text(property, "changes.spill-directory", System.getProperty("java.io.tmpdir"))));
    }

    /** The instance whose backups and changes are read: backup.instance, else the admin key's instance part. */
    public BackupLayout layout() {
        if (!backup.instance().isEmpty()) {
            return new BackupLayout(backup.instance());
        }
        if (backup.convex() == null) {
            throw new IllegalStateException("Set backup.instance (BACKUP_INSTANCE) or convex.admin-key (CONVEX_SERVICE_TOKEN):"
                    + " the instance name says which backups and changes to use");
        }
        return new BackupLayout(ConvexSnapshotSource.instanceFromAdminKey(backup.convex().adminKey()));
    }

    private static String text(Function<String, String> property, String key, String fallback) {
        String value = property.apply(key);
        return value == null || value.isBlank() ? fallback : value.trim();
    }
}

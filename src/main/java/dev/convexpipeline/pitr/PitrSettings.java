package dev.convexpipeline.pitr;

import dev.convexpipeline.app.SettingsSource;
import dev.convexpipeline.backup.BackupLayout;
import dev.convexpipeline.backup.BackupSettings;
import dev.convexpipeline.backup.ConvexSnapshotSource;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Point-in-time settings ({@code changes.*}) plus the backup settings they share: the storage and
 * the instance name, so the change log lands beside the backups it continues.
 */
public record PitrSettings(BackupSettings backup, boolean enabled, Duration flushInterval, Duration maxLag,
                           Path spillDirectory) {

    public static PitrSettings load(SettingsSource settings) {
        BackupSettings backup = BackupSettings.load(settings);
        Duration flush = settings.duration("changes.flush-interval");
        if (flush.isZero() || flush.isNegative()) {
            throw new IllegalArgumentException("changes.flush-interval (CHANGES_FLUSH_INTERVAL) must be positive, got " + flush);
        }
        return new PitrSettings(backup, settings.flag("changes.enabled"), flush, settings.duration("changes.max-lag"),
                spillDirectory(settings));
    }

    /** {@code changes.spill-directory}; empty means the JVM's temporary directory. */
    public static Path spillDirectory(SettingsSource settings) {
        String directory = settings.text("changes.spill-directory");
        return Path.of(directory.isEmpty() ? System.getProperty("java.io.tmpdir") : directory);
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

}

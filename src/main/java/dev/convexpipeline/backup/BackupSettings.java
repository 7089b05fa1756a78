package dev.convexpipeline.backup;

import dev.convexpipeline.app.SettingsSource;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.ConvexSettings;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;

/**
 * The backup settings of config/application.properties ({@code backup.*}, {@code s3.*}, and the
 * deployment from {@code convex.*}), read from the one {@link SettingsSource} the pipeline and the
 * CLI share, so both resolve them the same way, environment overrides included.
 */
public record BackupSettings(String target, String prefix, String instance, boolean includeFileStorage,
                             Duration exportTimeout, Duration stallTimeout, int attempts, Duration retryDelay,
                             int retentionDays, int keepLast, Duration maxAge, S3Settings s3, ConvexClientConfig convex) {

    public static BackupSettings load(SettingsSource settings) {
        String target = settings.text("backup.target");
        S3Settings s3 = null;
        if (target.equals("s3")) {
            String endpoint = settings.text("s3.endpoint");
            s3 = new S3Settings(endpoint.isEmpty() ? null : URI.create(endpoint), settings.text("s3.region"),
                    settings.text("s3.bucket"), settings.text("s3.access-key"), settings.text("s3.secret-key"),
                    settings.flag("s3.force-path-style"), settings.text("s3.sse"), settings.text("s3.sse-kms-key-id"),
                    settings.integer("s3.part-size-mb") * 1024 * 1024,
                    settings.integer("s3.parts-in-flight"),
                    "when_required".equals(settings.text("s3.request-checksum-calculation").toLowerCase(Locale.ROOT)),
                    settings.integer("s3.single-put-max-mb") * 1024L * 1024);
        } else if (!target.startsWith("file:")) {
            throw new IllegalArgumentException("backup.target (BACKUP_TARGET) must be file:<directory> or s3, got " + target);
        }
        return new BackupSettings(target, settings.text("backup.prefix"), settings.text("backup.instance"),
                settings.flag("backup.include-file-storage"), settings.duration("backup.export-timeout"),
                settings.duration("backup.stall-timeout"), settings.integer("backup.attempts"),
                settings.duration("backup.retry-delay"), settings.integer("backup.retention-days"),
                settings.integer("backup.keep-last"), settings.duration("backup.max-age"), s3,
                ConvexSettings.from(settings).clientConfig());
    }

    /** Builds the service over a Convex client of its own (the CLI's), closed with the service. */
    public BackupService createService(BackupMetrics metrics, Clock clock) {
        ConvexClient client = new ConvexClient(requireConvex());
        return createService(metrics, clock, client).alsoClosing(client);
    }

    /** Builds the service over {@code client} (the process's shared client), which the service does not close. */
    public BackupService createService(BackupMetrics metrics, Clock clock, ConvexClient client) {
        requireConvex();
        SnapshotSource source = new ConvexSnapshotSource(client, instance.isEmpty() ? null : instance,
                includeFileStorage, exportTimeout);
        return new BackupService(createTarget(), source, new RetentionPolicy(Duration.ofDays(retentionDays), keepLast),
                metrics, clock).withStallTimeout(stallTimeout).withAttempts(attempts, retryDelay);
    }

    private ConvexClientConfig requireConvex() {
        if (convex == null) {
            throw new IllegalStateException("convex.admin-key (CONVEX_SERVICE_TOKEN) is empty: backups need the"
                    + " deployment's admin key to request snapshot exports");
        }
        return convex;
    }

    public BackupTarget createTarget() {
        if (s3 != null) {
            return new S3Target(s3, prefix);
        }
        Path directory = Path.of(target.substring("file:".length()));
        return new LocalDirectoryTarget(prefix.isEmpty() ? directory : directory.resolve(prefix));
    }

    /** {@code 26h}, {@code 1d12h}, {@code 90m}, {@code 30s} or ISO-8601 ({@code PT26H}); see {@link SettingsSource#duration(String, String)}. */
    public static Duration duration(String text, String key) {
        return SettingsSource.duration(text, key);
    }
}

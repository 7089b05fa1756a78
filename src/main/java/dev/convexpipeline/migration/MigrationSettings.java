package dev.convexpipeline.migration;

import dev.convexpipeline.app.EnvironmentFiles;
import dev.convexpipeline.app.SettingsSource;
import dev.convexpipeline.backup.BackupSettings;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.ConvexSettings;
import dev.convexpipeline.pitr.PitrSettings;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of migrations: the backup storage (where snapshots, rollback points and journals live),
 * the pipeline's own deployment ({@code convex.url} + {@code CONVEX_SERVICE_TOKEN}, used when a
 * migration names that URL) and the admin keys of other deployments, which never come from the
 * command line: {@code MIGRATE_SOURCE_ADMIN_KEY} / {@code MIGRATE_TARGET_ADMIN_KEY} or key files. A
 * point-in-time source materializes through {@code changes.spill-directory}, as {@code restore} does.
 */
public record MigrationSettings(BackupSettings storage, String convexUrl, String serviceToken, String sourceKey,
                                String targetKey, long estimatedBytesPerSecond, Duration importTimeout,
                                ConvexSettings convex, Path spillDirectory, ConvexClient shared) {

    public static MigrationSettings load(SettingsSource settings) {
        BackupSettings storage = BackupSettings.load(settings);
        long bytesPerSecond = Math.max(1, (long) (settings.decimal("migration.estimated-mb-per-second") * 1024 * 1024));
        Duration timeout = Duration.ofMinutes(settings.number("migration.import-timeout-minutes"));
        ConvexSettings convex = ConvexSettings.from(settings);
        return new MigrationSettings(storage, convex.url(), convex.adminKey(), settings.text("migration.source-admin-key"),
                settings.text("migration.target-admin-key"), bytesPerSecond, timeout, convex,
                PitrSettings.spillDirectory(settings), null);
    }

    /** The same settings, reaching the pipeline's own deployment through the process's client {@code shared} (may be null). */
    public MigrationSettings withSharedClient(ConvexClient client) {
        return new MigrationSettings(storage, convexUrl, serviceToken, sourceKey, targetKey, estimatedBytesPerSecond,
                importTimeout, convex, spillDirectory, client);
    }

    /** The same settings with the target's admin key given by another front (restore's own variable). */
    public MigrationSettings withTargetKey(String key) {
        return new MigrationSettings(storage, convexUrl, serviceToken, sourceKey, key, estimatedBytesPerSecond, importTimeout,
                convex, spillDirectory, shared);
    }

    /** The admin key for a deployment: a key file, else the environment, else the service token for the pipeline's own URL. */
    String keyFor(String role, String url, Path keyFile) {
        if (keyFile != null) {
            String key;
            try {
                key = EnvironmentFiles.readSecret("--" + role + "-key-file", keyFile);
            } catch (IllegalArgumentException unreadable) {
                throw new MigrationRefusedException(unreadable.getMessage());
            }
            if (key.isEmpty()) {
                throw new MigrationRefusedException("the " + role + " key file " + keyFile + " is empty");
            }
            return key;
        }
        String fromEnv = "source".equals(role) ? sourceKey : targetKey;
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return fromEnv;
        }
        if (sameDeployment(url, convexUrl) && !serviceToken.isEmpty()) {
            return serviceToken;
        }
        throw new MigrationRefusedException("no admin key for the " + role + " " + url + ": set "
                + ("source".equals(role) ? "MIGRATE_SOURCE_ADMIN_KEY or pass --source-key-file"
                : "MIGRATE_TARGET_ADMIN_KEY or pass --target-key-file"));
    }

    static boolean sameDeployment(String a, String b) {
        return a != null && b != null && strip(a).equalsIgnoreCase(strip(b));
    }

    private static String strip(String url) {
        return url.trim().replaceAll("/+$", "");
    }

    /**
     * A client for {@code url} with {@code adminKey}, closed by the caller: a view of the process's
     * client when that is the same deployment and key (one connection pool per deployment), else a new one.
     */
    ConvexClient open(String url, String adminKey) {
        if (shared != null && sameDeployment(url, shared.config().deploymentUrl().toString())
                && adminKey.equals(shared.config().adminKey())) {
            return shared.withLimits(shared.config().retryPolicy(), shared.config().requestTimeout());
        }
        return new ConvexClient(client(url, adminKey));
    }

    /** Another deployment's client: the pipeline's own timeouts and retries ({@code convex.*}) with that URL and key. */
    ConvexClientConfig client(String url, String adminKey) {
        return new ConvexClientConfig(java.net.URI.create(url), adminKey, convex.connectTimeout(), convex.requestTimeout(),
                convex.retryPolicy(), ConvexClientConfig.DEFAULT_CLIENT_NAME);
    }
}

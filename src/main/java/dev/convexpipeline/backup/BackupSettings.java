package dev.convexpipeline.backup;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.RetryPolicy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The backup settings of config/application.properties ({@code backup.*}, {@code s3.*},
 * {@code convex.*}), read through a lookup so the pipeline (Camel's property resolver) and the CLI
 * resolve them the same way, environment overrides included.
 */
public record BackupSettings(String target, String prefix, String instance, boolean includeFileStorage,
                             Duration exportTimeout, Duration stallTimeout, int attempts, Duration retryDelay,
                             int retentionDays, int keepLast, Duration maxAge, S3Settings s3, ConvexClientConfig convex) {
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+)\\s*(d|h|m|s|ms)");

    /** @param property returns the resolved value of a key, or null/blank when unset */
    public static BackupSettings load(Function<String, String> property) {
        String target = text(property, "backup.target", "file:backups");
        S3Settings s3 = null;
        if (target.equals("s3")) {
            String endpoint = text(property, "s3.endpoint", "");
            s3 = new S3Settings(endpoint.isEmpty() ? null : URI.create(endpoint), text(property, "s3.region", "us-east-1"),
                    text(property, "s3.bucket", ""), text(property, "s3.access-key", ""), text(property, "s3.secret-key", ""),
                    Boolean.parseBoolean(text(property, "s3.force-path-style", "true")),
                    text(property, "s3.sse", ""), text(property, "s3.sse-kms-key-id", ""),
                    integer(property, "s3.part-size-mb", 8) * 1024 * 1024,
                    integer(property, "s3.parts-in-flight", 3),
                    "when_required".equals(text(property, "s3.request-checksum-calculation", "when_required")
                            .toLowerCase(Locale.ROOT)),
                    integer(property, "s3.single-put-max-mb", S3Settings.MAX_SINGLE_PUT_MB) * 1024L * 1024);
        } else if (!target.startsWith("file:")) {
            throw new IllegalArgumentException("backup.target (BACKUP_TARGET) must be file:<directory> or s3, got " + target);
        }
        ConvexClientConfig convex = null;
        String adminKey = text(property, "convex.admin-key", "");
        if (!adminKey.isEmpty()) {
            convex = ConvexClientConfig.of(text(property, "convex.url", "http://127.0.0.1:3210"), adminKey)
                    .withTimeouts(Duration.ofMillis(integer(property, "convex.connect-timeout-ms", 5000)),
                            Duration.ofMillis(integer(property, "convex.request-timeout-ms", 30000)))
                    .withRetryPolicy(new RetryPolicy(integer(property, "convex.max-attempts", 5),
                            Duration.ofMillis(integer(property, "convex.retry-initial-backoff-ms", 200)),
                            Duration.ofMillis(integer(property, "convex.retry-max-backoff-ms", 5000))));
        }
        return new BackupSettings(target, text(property, "backup.prefix", ""), text(property, "backup.instance", ""),
                Boolean.parseBoolean(text(property, "backup.include-file-storage", "false")),
                duration(text(property, "backup.export-timeout", "30m"), "backup.export-timeout"),
                duration(text(property, "backup.stall-timeout", "5m"), "backup.stall-timeout"),
                integer(property, "backup.attempts", 3),
                duration(text(property, "backup.retry-delay", "30s"), "backup.retry-delay"),
                integer(property, "backup.retention-days", 30), integer(property, "backup.keep-last", 7),
                duration(text(property, "backup.max-age", "26h"), "backup.max-age"), s3, convex);
    }

    /** Builds the service; the Convex client it opens is closed with the service. */
    public BackupService createService(BackupMetrics metrics, Clock clock) {
        if (convex == null) {
            throw new IllegalStateException("convex.admin-key (CONVEX_SERVICE_TOKEN) is empty: backups need the"
                    + " deployment's admin key to request snapshot exports");
        }
        ConvexClient client = new ConvexClient(convex);
        SnapshotSource source = new ConvexSnapshotSource(client, instance.isEmpty() ? null : instance,
                includeFileStorage, exportTimeout);
        return new BackupService(createTarget(), source, new RetentionPolicy(Duration.ofDays(retentionDays), keepLast),
                metrics, clock).withStallTimeout(stallTimeout).withAttempts(attempts, retryDelay).alsoClosing(client);
    }

    public BackupTarget createTarget() {
        if (s3 != null) {
            return new S3Target(s3, prefix);
        }
        Path directory = Path.of(target.substring("file:".length()));
        return new LocalDirectoryTarget(prefix.isEmpty() ? directory : directory.resolve(prefix));
    }

    private static String text(Function<String, String> property, String key, String fallback) {
        String value = property.apply(key);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    private static int integer(Function<String, String> property, String key, int fallback) {
        String value = text(property, key, "");
        if (value.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, got '" + value + "'");
        }
    }

    /** {@code 26h}, {@code 1d12h}, {@code 90m}, {@code 30s} or ISO-8601 ({@code PT26H}). */
    public static Duration duration(String text, String key) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.startsWith("p")) {
            return Duration.parse(value.toUpperCase(Locale.ROOT));
        }
        Matcher part = DURATION_PART.matcher(value);
        Duration total = Duration.ZERO;
        int end = 0;
        while (part.find()) {
            if (part.start() != end && !value.substring(end, part.start()).isBlank()) {
                break;
            }
            long amount = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "d" -> Duration.ofDays(amount);
                case "h" -> Duration.ofHours(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "s" -> Duration.ofSeconds(amount);
                default -> Duration.ofMillis(amount);
            });
            end = part.end();
        }
        if (end == 0 || end != value.length()) {
            throw new IllegalArgumentException(key + " must be a duration like 26h, 1d12h, 30m or PT26H, got '" + text + "'");
        }
        return total;
    }
}

package dev.convexpipeline.backup;

import dev.convexpipeline.OperatorMessages;
import dev.convexpipeline.ops.AlertingHealthCheck;
import org.apache.camel.health.HealthCheckResultBuilder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Warns when the newest successful backup is older than {@code BACKUP_MAX_AGE}. A dedicated check,
 * neither liveness nor readiness: a stale backup must page someone, not restart the pipeline or
 * take it out of the load balancer, so it shows DOWN only on {@code /observe/health} (and in the
 * {@code convex_backup_last_success_seconds} metric for alerting).
 */
public final class BackupAgeCheck extends AlertingHealthCheck {
    private final BackupOperations backups;
    private final Duration maxAge;
    private final Clock clock;
    private final Instant startedAt;

    public BackupAgeCheck(BackupOperations backups, Duration maxAge, Clock clock) {
        super("backup-age");
        this.backups = backups;
        this.maxAge = maxAge;
        this.clock = clock;
        this.startedAt = clock.instant();
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("backup.max-age", maxAge.toString());
        Instant now = clock.instant();
        try {
            Instant newest = backups.newestBackup();
            if (newest == null) {
                if (startedAt.plus(maxAge).isAfter(now)) {
                    builder.message("No backup yet; the pipeline started less than " + maxAge + " ago").up();
                } else {
                    builder.message("No successful backup exists: run `backup run` and check the backup logs").down();
                }
                return;
            }
            builder.detail("backup.newest", newest.toString());
            Duration age = Duration.between(newest, now);
            if (age.compareTo(maxAge) > 0) {
                builder.message("The newest successful backup is from " + newest + " (" + age.toHours()
                        + " h old, more than BACKUP_MAX_AGE " + maxAge + "); last failure: "
                        + (backups.metrics().lastFailureReason() == null ? "none recorded" : backups.metrics().lastFailureReason()))
                        .down();
            } else {
                builder.up();
            }
        } catch (Exception e) {
            String message = "Cannot tell the age of the newest backup: " + OperatorMessages.describe(e);
            // Nothing can be overdue before the pipeline has run for BACKUP_MAX_AGE; the reason stays visible.
            if (startedAt.plus(maxAge).isAfter(now)) {
                builder.message(message).up();
            } else {
                builder.message(message).down();
            }
        }
    }
}

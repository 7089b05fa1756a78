package dev.convexpipeline.backup;

import dev.convexpipeline.app.SettingsSource;
import dev.convexpipeline.convex.ConvexClient;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.function.Supplier;

/** Creates the backup bean from the pipeline's properties and hooks it into health and metrics once Camel runs. */
public final class BackupWiring {
    private static final Logger LOG = LoggerFactory.getLogger(BackupWiring.class);

    private BackupWiring() {
    }

    /**
     * The backup bean over the process's Convex client. The settings are read when the first backup
     * runs, so a pipeline whose backups are misconfigured still starts (and each run names the problem).
     */
    public static BackupOperations operations(SettingsSource settings, Supplier<ConvexClient> convex) {
        Clock clock = Clock.systemUTC();
        return new BackupOperations(metrics -> {
            BackupSettings backup = BackupSettings.load(settings);
            return backup.createService(metrics, clock, backup.convex() == null ? null : convex.get());
        }, new BackupMetrics(), clock, settings.flag("backup.prune-after-backup"));
    }

    /** Registers the backup-age health check and binds the backup metrics to Camel's Micrometer registry. */
    public static void onStarted(CamelContext camelContext, BackupOperations backups, SettingsSource settings) {
        register(camelContext, new BackupAgeCheck(backups, settings.duration("backup.max-age"), Clock.systemUTC()));
        MeterRegistry meters = meterRegistry(camelContext);
        if (meters == null) {
            LOG.warn("No Micrometer registry in Camel (camel.metrics.enabled=false?): backup metrics are not exported");
        }
        backups.metrics().bindTo(meters);
    }

    /** Adds {@code check} to Camel's health checks (/observe/health), when health checks are on. */
    public static void register(CamelContext camelContext, AbstractHealthCheck check) {
        HealthCheckRegistry health = HealthCheckRegistry.get(camelContext);
        if (health != null) {
            check.setCamelContext(camelContext);
            health.register(check);
        }
    }

    /** The Prometheus registry that /observe/metrics serves, if Camel bound several; null when none. */
    public static MeterRegistry meterRegistry(CamelContext camelContext) {
        return camelContext.getRegistry().findByType(MeterRegistry.class).stream()
                .sorted(java.util.Comparator.comparing(r -> r.getClass().getSimpleName().contains("Prometheus") ? 0 : 1))
                .findFirst().orElse(null);
    }
}

package dev.convexpipeline.backup;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.function.Function;

/** Creates the backup bean from the pipeline's properties and hooks it into health and metrics once Camel runs. */
public final class BackupWiring {
    private static final Logger LOG = LoggerFactory.getLogger(BackupWiring.class);

    private BackupWiring() {
    }

    /** Resolves a key through Camel's properties (file, environment, -D); a missing key is null. */
    public static Function<String, String> properties(CamelContext camelContext) {
        return key -> camelContext.getPropertiesComponent().resolveProperty(key)
                .map(camelContext::resolvePropertyPlaceholders).orElse(null);
    }

    public static BackupOperations operations(CamelContext camelContext) {
        Function<String, String> properties = properties(camelContext);
        boolean prune = !"false".equalsIgnoreCase(properties.apply("backup.prune-after-backup"));
        return new BackupOperations(properties, new BackupMetrics(), Clock.systemUTC(), prune);
    }

    /** Registers the backup-age health check and binds the backup metrics to Camel's Micrometer registry. */
    public static void onStarted(CamelContext camelContext, BackupOperations backups) {
        Function<String, String> properties = properties(camelContext);
        String maxAge = properties.apply("backup.max-age");
        HealthCheckRegistry health = HealthCheckRegistry.get(camelContext);
        if (health != null) {
            BackupAgeCheck check = new BackupAgeCheck(backups,
                    BackupSettings.duration(maxAge == null || maxAge.isBlank() ? "26h" : maxAge, "backup.max-age"),
                    Clock.systemUTC());
            check.setCamelContext(camelContext);
            health.register(check);
        }
        MeterRegistry meters = meterRegistry(camelContext);
        if (meters == null) {
            LOG.warn("No Micrometer registry in Camel (camel.metrics.enabled=false?): backup metrics are not exported");
        }
        backups.metrics().bindTo(meters);
    }

    /** The Prometheus registry that /observe/metrics serves, if Camel bound several; null when none. */
    public static MeterRegistry meterRegistry(CamelContext camelContext) {
        return camelContext.getRegistry().findByType(MeterRegistry.class).stream()
                .sorted(java.util.Comparator.comparing(r -> r.getClass().getSimpleName().contains("Prometheus") ? 0 : 1))
                .findFirst().orElse(null);
    }
}

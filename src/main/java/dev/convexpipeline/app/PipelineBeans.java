package dev.convexpipeline.app;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.RetryPolicy;
import dev.convexpipeline.backup.BackupOperations;
import dev.convexpipeline.backup.BackupWiring;
import dev.convexpipeline.pitr.ChangeCaptureOperations;
import dev.convexpipeline.pitr.PitrWiring;
import dev.convexpipeline.ops.AdminApiBridge;
import dev.convexpipeline.ops.AdminToken;
import dev.convexpipeline.ops.ConvexReadinessCheck;
import dev.convexpipeline.ops.PipelineStatus;
import dev.convexpipeline.ops.PublicServerErrors;
import dev.convexpipeline.schedule.QuartzClusterSetup;
import dev.convexpipeline.schedule.ScheduleSettings;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.SimpleEventNotifierSupport;

import java.net.URI;
import java.time.Duration;

/** The pipeline's beans, created from config/application.properties (Camel Main binds them by name). */
public class PipelineBeans implements CamelConfiguration {

    @BindToRegistry("adminToken")
    public AdminToken adminToken(@PropertyInject("admin.token") String token) {
        return new AdminToken(token);
    }

    @BindToRegistry("pipelineStatus")
    public PipelineStatus pipelineStatus(CamelContext camelContext, @PropertyInject("convex.url") String convexUrl) {
        return new PipelineStatus(camelContext, convexUrl);
    }

    /** The Convex connection every flow uses; absent key means readiness stays DOWN with that reason. */
    @BindToRegistry("convexConnection")
    public ConvexConnection convexConnection(@PropertyInject("convex.url") String url,
                                             @PropertyInject("convex.admin-key") String adminKey,
                                             @PropertyInject("convex.connect-timeout-ms") long connectTimeoutMs,
                                             @PropertyInject("convex.request-timeout-ms") long requestTimeoutMs,
                                             @PropertyInject("convex.max-attempts") int maxAttempts,
                                             @PropertyInject("convex.retry-initial-backoff-ms") long initialBackoffMs,
                                             @PropertyInject("convex.retry-max-backoff-ms") long maxBackoffMs,
                                             @PropertyInject("convex.readiness-timeout-ms") long readinessTimeoutMs) {
        if (adminKey == null || adminKey.isBlank()) {
            return ConvexConnection.unconfigured(url);
        }
        ConvexClientConfig config = new ConvexClientConfig(URI.create(url), adminKey,
                Duration.ofMillis(connectTimeoutMs), Duration.ofMillis(requestTimeoutMs),
                new RetryPolicy(maxAttempts, Duration.ofMillis(initialBackoffMs), Duration.ofMillis(maxBackoffMs)),
                ConvexClientConfig.DEFAULT_CLIENT_NAME);
        // Readiness must answer fast and report the current state, so its probe never retries.
        ConvexClientConfig probeConfig = config.withRetryPolicy(RetryPolicy.noRetries())
                .withTimeouts(Duration.ofMillis(readinessTimeoutMs), Duration.ofMillis(readinessTimeoutMs));
        return new ConvexConnection(url, new ConvexClient(config), new ConvexClient(probeConfig));
    }

    @BindToRegistry("scheduleSettings")
    public ScheduleSettings scheduleSettings(@PropertyInject("quartz.clustered") boolean clustered,
                                             @PropertyInject("quartz.jdbc-url") String jdbcUrl,
                                             @PropertyInject("quartz.jdbc-user") String jdbcUser,
                                             @PropertyInject(value = "quartz.jdbc-password", defaultValue = "") String jdbcPassword,
                                             @PropertyInject("quartz.table-prefix") String tablePrefix,
                                             @PropertyInject("quartz.cluster-checkin-ms") long checkinMillis,
                                             @PropertyInject("quartz.idle-wait-ms") long idleWaitMillis,
                                             @PropertyInject("quartz.threads") int threads) {
        return new ScheduleSettings(clustered, jdbcUrl, jdbcUser, jdbcPassword, tablePrefix, checkinMillis,
                idleWaitMillis, threads);
    }

    @BindToRegistry("backups")
    public BackupOperations backups(CamelContext camelContext) {
        return BackupWiring.operations(camelContext);
    }

    @BindToRegistry("changes")
    public ChangeCaptureOperations changes(CamelContext camelContext) {
        return PitrWiring.operations(camelContext);
    }

    @BindToRegistry("migrations")
    public dev.convexpipeline.migration.MigrationOperations migrations(CamelContext camelContext) {
        return dev.convexpipeline.migration.MigrationOperations.create(camelContext);
    }

    @Override
    public void configure(CamelContext camelContext) {
        PitrWiring.registerMillisFunction(camelContext);
        QuartzClusterSetup.apply(camelContext,
                camelContext.getRegistry().lookupByNameAndType("scheduleSettings", ScheduleSettings.class));
        ConvexConnection connection = camelContext.getRegistry()
                .lookupByNameAndType("convexConnection", ConvexConnection.class);
        if (connection != null) {
            HealthCheckRegistry.get(camelContext).register(
                    new ConvexReadinessCheck(connection::probe, connection.url()));
        }
        // The management server's router exists only once Camel has started.
        camelContext.getManagementStrategy().addEventNotifier(new SimpleEventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                if (event.getType() == CamelEvent.Type.CamelContextStarted) {
                    AdminToken token = camelContext.getRegistry().lookupByNameAndType("adminToken", AdminToken.class);
                    int maxAuthFailures = Integer.parseInt(camelContext.resolvePropertyPlaceholders(
                            "{{admin.max-auth-failures-per-minute}}"));
                    new AdminApiBridge(camelContext, token, maxAuthFailures).mount();
                    PublicServerErrors.install(camelContext);
                    BackupWiring.onStarted(camelContext, camelContext.getRegistry().lookupByNameAndType("backups", BackupOperations.class));
                    PitrWiring.onStarted(camelContext, camelContext.getRegistry().lookupByNameAndType("changes", ChangeCaptureOperations.class));
                }
            }
        });
    }
}

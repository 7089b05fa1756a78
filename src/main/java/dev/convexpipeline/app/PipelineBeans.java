package dev.convexpipeline.app;

import dev.convexpipeline.backup.BackupOperations;
import dev.convexpipeline.backup.BackupWiring;
import dev.convexpipeline.convex.ConvexSettings;
import dev.convexpipeline.migration.MigrationOperations;
import dev.convexpipeline.ops.AdminApiBridge;
import dev.convexpipeline.ops.AdminToken;
import dev.convexpipeline.ops.ConvexReadinessCheck;
import dev.convexpipeline.ops.PipelineStatus;
import dev.convexpipeline.ops.PublicServerErrors;
import dev.convexpipeline.pitr.ChangeCaptureOperations;
import dev.convexpipeline.pitr.PitrWiring;
import dev.convexpipeline.reconcile.ReconcileBeans;
import dev.convexpipeline.reconcile.ReconcileSettings;
import dev.convexpipeline.schedule.QuartzClusterSetup;
import dev.convexpipeline.schedule.ScheduleSettings;
import dev.convexpipeline.stripe.StripeBeans;
import dev.convexpipeline.stripe.StripeSettings;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.SimpleEventNotifierSupport;
import org.apache.camel.support.service.ServiceSupport;

/**
 * The pipeline's only bean configuration: reads the settings once from config/application.properties
 * (through Camel's properties component: file, environment, {@code NAME_FILE}, overrides), opens the
 * one Convex client of the process and builds and binds every bean the routes name, in this order.
 */
public class PipelineBeans implements CamelConfiguration {

    @Override
    public void configure(CamelContext camelContext) throws Exception {
        SettingsSource settings = SettingsSource.of(camelContext);
        Registry registry = camelContext.getRegistry();

        ConvexConnection convex = ConvexConnection.open(ConvexSettings.from(settings));
        camelContext.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                // Stopped after the routes: no flow is using the client any more.
                convex.close();
            }
        });
        registry.bind("convexConnection", convex);

        AdminToken adminToken = new AdminToken(settings.text("admin.token"));
        int maxAuthFailures = settings.integer("admin.max-auth-failures-per-minute");
        registry.bind("adminToken", adminToken);
        registry.bind("pipelineStatus", new PipelineStatus(camelContext, convex.url()));
        ScheduleSettings schedules = ScheduleSettings.from(settings);
        registry.bind("scheduleSettings", schedules);

        StripeBeans.Shared stripe = StripeBeans.bind(camelContext, StripeSettings.from(settings), convex.clientOrNull());
        ReconcileBeans.bind(camelContext, ReconcileSettings.from(settings), stripe, convex.clientOrNull());

        BackupOperations backups = BackupWiring.operations(settings, convex::client);
        registry.bind("backups", backups);
        ChangeCaptureOperations changes = PitrWiring.operations(settings, convex::client);
        registry.bind("changes", changes);
        registry.bind("migrations", MigrationOperations.create(camelContext, settings, convex.clientOrNull()));

        PitrWiring.registerMillisFunction(camelContext);
        QuartzClusterSetup.apply(camelContext, schedules);
        HealthCheckRegistry.get(camelContext).register(new ConvexReadinessCheck(convex::probe, convex.url()));
        // The management server's router exists only once Camel has started.
        camelContext.getManagementStrategy().addEventNotifier(new SimpleEventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                if (event.getType() == CamelEvent.Type.CamelContextStarted) {
                    new AdminApiBridge(camelContext, adminToken, maxAuthFailures).mount();
                    PublicServerErrors.install(camelContext);
                    BackupWiring.onStarted(camelContext, backups, settings);
                    PitrWiring.onStarted(camelContext, changes, settings);
                }
            }
        });
    }
}

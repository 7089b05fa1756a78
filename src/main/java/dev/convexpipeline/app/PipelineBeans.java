package dev.convexpipeline.app;

import dev.convexpipeline.backup.BackupOperations;
import dev.convexpipeline.backup.BackupWiring;
import dev.convexpipeline.ops.AdminApiBridge;
import dev.convexpipeline.ops.AdminToken;
import dev.convexpipeline.ops.PipelineStatus;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.SimpleEventNotifierSupport;

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

    @BindToRegistry("backups")
    public BackupOperations backups(CamelContext camelContext) {
        return BackupWiring.operations(camelContext);
    }

    @Override
    public void configure(CamelContext camelContext) {
        // The management server's router exists only once Camel has started.
        camelContext.getManagementStrategy().addEventNotifier(new SimpleEventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                if (event.getType() == CamelEvent.Type.CamelContextStarted) {
                    AdminToken token = camelContext.getRegistry().lookupByNameAndType("adminToken", AdminToken.class);
                    new AdminApiBridge(camelContext, token).mount();
                    BackupWiring.onStarted(camelContext, camelContext.getRegistry().lookupByNameAndType("backups", BackupOperations.class));
                }
            }
        });
    }
}

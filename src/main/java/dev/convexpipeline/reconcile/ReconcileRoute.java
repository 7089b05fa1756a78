package dev.convexpipeline.reconcile;

import dev.convexpipeline.RouteFile;
import dev.convexpipeline.app.SettingsSource;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs {@code direct:reconcile} of routes/stripe-reconcile.camel.yaml in a small Camel context inside the
 * {@code reconcile} command, so the CLI goes through the same steps as the schedule and the admin API.
 * The schedule's own route is left out: a CLI process fires nothing.
 */
final class ReconcileRoute {
    private static final String SCHEDULE_ROUTE = "stripe-reconcile";

    private ReconcileRoute() {
    }

    /**
     * The run's report, completed or failed. A run refused before it was claimed (one is in progress,
     * STRIPE_SECRET_KEY missing) throws what refused it.
     */
    static ReconcileReport run(ReconcileOperations operations, SettingsSource settings, String trigger,
                               boolean dryRun) throws Exception {
        Path file = RouteFile.path(settings, "stripe-reconcile.camel.yaml");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(RouteFile.missing(file, "reconcile"));
        }
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            camel.getRegistry().bind("reconcileOperations", operations);
            RouteFile.load(camel, file);
            camel.removeRouteDefinition(camel.getRouteDefinition(SCHEDULE_ROUTE));
            camel.start();
            try (ProducerTemplate template = camel.createProducerTemplate()) {
                Exchange exchange = template.request("direct:reconcile", e -> {
                    e.setProperty(ReconcileOperations.TRIGGER, trigger);
                    e.setProperty(ReconcileOperations.DRY_RUN, dryRun);
                });
                Reconciler.Run run = exchange.getProperty(ReconcileOperations.RUN, Reconciler.Run.class);
                if (run == null && exchange.getException() != null) {
                    throw exchange.getException();
                }
                // A failed run fails the exchange too; its report says why.
                return run.report();
            }
        }
    }
}

package dev.convexpipeline.reconcile;

import dev.convexpipeline.JsonOutput;

import dev.convexpipeline.app.ConfigOption;
import dev.convexpipeline.app.SettingsSource;
import dev.convexpipeline.convex.ConvexSettings;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.stripe.StripeEventLedger;
import dev.convexpipeline.stripe.StripeEventTranslator;
import dev.convexpipeline.stripe.StripeMetrics;
import dev.convexpipeline.stripe.StripeSettings;
import dev.convexpipeline.stripe.SubscriptionEntitlementMapper;
import dev.convexpipeline.stripe.TierMapping;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code reconcile [--dry-run] [--json] [--status]}: the same run as the schedule and the admin API,
 * from this process, with the settings of config/application.properties and the environment. It is
 * refused (exit 1) while another run is in progress anywhere; exit 1 also when the run fails.
 */
@Command(name = "reconcile", mixinStandardHelpOptions = true,
        description = "Make Convex entitlements agree with Stripe: replay missed events, repair drift, revoke what Stripe no longer has.")
public final class ReconcileCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--dry-run", description = "Change nothing; print the drift a run would fix.")
    boolean dryRun;

    @Mixin
    JsonOutput json;

    @Option(names = "--status", description = "Print the state of the current or last run instead of running.")
    boolean status;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        SettingsSource settings = config.settings();
        StripeSettings stripeSettings = StripeSettings.from(settings);
        // Every setting is read (and a missing one named) before Convex is contacted.
        ReconcileSettings reconcileSettings = ReconcileSettings.from(settings);
        try (ConvexClient convex = ConvexSettings.from(settings).openClient()) {
            StripeMetrics metrics = StripeMetrics.standalone();
            SubscriptionEntitlementMapper mapper = new SubscriptionEntitlementMapper(TierMapping.parse(stripeSettings.tierMapping()));
            Reconciler reconciler = new Reconciler(reconcileSettings, new ReconcileStore(convex), mapper,
                    new StripeEventTranslator(mapper), new StripeEventLedger(convex, metrics),
                    new ReconcileMetrics(metrics::registry));
            if (status) {
                // --status has only a JSON form.
                JsonOutput.print(out, new ReconcileOperations(reconciler).last());
                return 0;
            }
            ReconcileReport report = ReconcileRoute.run(new ReconcileOperations(reconciler), settings, "cli", dryRun);
            if (json.enabled()) {
                json.print(report.toJson());
            } else {
                report.printTable(out);
            }
            out.flush();
            if (!"completed".equals(report.status())) {
                spec.commandLine().getErr().println("reconcile failed: " + report.error());
                spec.commandLine().getErr().flush();
                return 1;
            }
            return 0;
        }
    }
}

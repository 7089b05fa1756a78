package dev.convexpipeline.stripe;

import dev.convexpipeline.JsonOutput;
import dev.convexpipeline.app.VerbGroup;
import dev.convexpipeline.app.SettingsSource;
import dev.convexpipeline.convex.ConvexSettings;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.convexpipeline.convex.ConvexClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code stripe}: operator commands for the Stripe webhook's ledger, calling Convex directly with the
 * settings of config/application.properties (and the environment), so they work while the pipeline
 * is down. {@code events} lists what needs attention, {@code reapply} re-evaluates one event,
 * {@code sign} prints a Stripe-Signature header for a test body, {@code bench} is the benchmark
 * (full jar only: added by {@link dev.convexpipeline.PipelineCli}).
 */
@Command(name = "stripe", mixinStandardHelpOptions = true,
        description = "Stripe webhook operations: list events needing attention, re-apply one, sign a test event, benchmark.",
        subcommands = {StripeCommand.Events.class, StripeCommand.Reapply.class, StripeCommand.Sign.class})
public final class StripeCommand extends VerbGroup {

    StripeSettings stripeSettings() {
        return StripeSettings.from(settings());
    }

    /** The ledger over the command's Convex client; the caller closes the client. */
    Operations operations() {
        SettingsSource source = settings();
        StripeSettings settings = StripeSettings.from(source);
        ConvexClient client = ConvexSettings.from(source).openClient();
        StripeEventLedger ledger = new StripeEventLedger(client, StripeMetrics.standalone());
        StripeEventTranslator translator = new StripeEventTranslator(
                new SubscriptionEntitlementMapper(TierMapping.parse(settings.tierMapping())));
        StripeOperations operations = new StripeOperations(ledger, translator,
                new ConvexEventLedgerRepository(ledger, 1, java.time.Duration.ofSeconds(1)));
        return new Operations(client, operations);
    }

    record Operations(ConvexClient client, StripeOperations operations) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
        }
    }

    /** A verb on the event ledger: runs over the command's Convex client, closed when it is done. */
    abstract static class LedgerVerb implements Callable<Integer> {
        @ParentCommand
        StripeCommand parent;

        @Override
        public Integer call() {
            try (Operations ops = parent.operations()) {
                call(ops.operations(), parent.out());
            }
            parent.out().flush();
            return 0;
        }

        abstract void call(StripeOperations operations, PrintWriter out);
    }

    @Command(name = "events", mixinStandardHelpOptions = true,
            description = "List recent Stripe events that need attention (failed, unmatched, unmapped tier), newest first.")
    static final class Events extends LedgerVerb {

        @Option(names = "--all", description = "List every recent event, not only those needing attention.")
        boolean all;

        @Option(names = "--limit", defaultValue = "50", description = "At most this many events (1-500, default ${DEFAULT-VALUE}).")
        int limit;

        @Mixin
        JsonOutput json;

        @Override
        void call(StripeOperations operations, PrintWriter out) {
            List<StripeEventLedger.LedgerEntry> entries = operations.list(all, limit);
            if (json.enabled()) {
                ArrayNode array = JsonNodeFactory.instance.arrayNode();
                entries.forEach(entry -> array.add(StripeOperations.toJson(entry)));
                json.print(JsonNodeFactory.instance.objectNode().set("events", array));
            } else if (entries.isEmpty()) {
                out.println(all ? "No Stripe events recorded." : "No Stripe events need attention.");
            } else {
                out.printf("%-28s %-40s %-10s %-20s %s%n", "EVENT", "TYPE", "OUTCOME", "PROCESSED", "REASON");
                for (StripeEventLedger.LedgerEntry e : entries) {
                    out.printf("%-28s %-40s %-10s %-20s %s%n", e.eventId(), e.type(), e.outcome(),
                            Instant.ofEpochMilli((long) e.processedAt()).toString().substring(0, 19),
                            e.reason() == null ? "" : e.reason());
                }
            }
        }
    }

    @Command(name = "reapply", mixinStandardHelpOptions = true,
            description = "Re-apply one recorded event from its stored payload, with the current tier mapping and users.")
    static final class Reapply extends LedgerVerb {

        @Parameters(paramLabel = "EVENT_ID", description = "The Stripe event id (evt_...).")
        String eventId;

        @Override
        void call(StripeOperations operations, PrintWriter out) {
            StripeOperations.ReapplyResult result = operations.reapply(eventId);
            if (result.result() == null) {
                throw new IllegalStateException(result.error());
            }
            out.println(eventId + ": " + result.result().outcome()
                    + (result.result().reason() == null ? "" : " (" + result.result().reason() + ")"));
        }
    }

    @Command(name = "sign", mixinStandardHelpOptions = true,
            description = "Print a Stripe-Signature header for FILE signed with STRIPE_WEBHOOK_SECRET (first secret) at the current time.")
    static final class Sign implements Callable<Integer> {
        @ParentCommand
        StripeCommand parent;

        @Parameters(paramLabel = "FILE", description = "The exact body that will be sent.")
        Path file;

        @Override
        public Integer call() throws Exception {
            String secret = parent.stripeSettings().webhookSecrets().split(",")[0].trim();
            if (secret.isEmpty()) {
                throw new IllegalStateException("stripe.webhook-secret is empty: set STRIPE_WEBHOOK_SECRET");
            }
            long t = Instant.now().getEpochSecond();
            parent.out().println("t=" + t + ",v1="
                    + StripeSigner.v1(secret, t, Files.readAllBytes(file)));
            parent.out().flush();
            return 0;
        }
    }
}

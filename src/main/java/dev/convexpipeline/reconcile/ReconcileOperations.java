package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.stripe.exception.StripeException;
import org.apache.camel.Exchange;
import org.apache.camel.Header;

/**
 * The steps routes/stripe-reconcile.camel.yaml calls (claim → events → pages → revocations → finish,
 * the run carried in the {@value #RUN} exchange property) and the answers of routes/admin.camel.yaml:
 * {@code POST /admin/reconcile[?dryRun=true]} and {@code GET /admin/reconcile/last}.
 */
public final class ReconcileOperations {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Reconciler reconciler;

    public ReconcileOperations(Reconciler reconciler) {
        this.reconciler = reconciler;
    }

    /** Exchange property carrying the claimed {@link Reconciler.Run} from one step to the next. */
    public static final String RUN = "reconcileRun";
    /** Exchange property naming who started the run (schedule, admin...); recorded in the report. */
    public static final String TRIGGER = "reconcileTrigger";
    /** Exchange property: true for a dry run (changes nothing, reports the drift it would fix). */
    public static final String DRY_RUN = "reconcileDryRun";

    // ---- the steps of routes/stripe-reconcile.camel.yaml, one call each ----------------------------

    /** Claim: refused with {@link ReconcileStore.RunInProgressException} while another run is in progress. */
    public void claim(Exchange exchange) {
        claim(exchange, exchange.getProperty(DRY_RUN, false, Boolean.class));
    }

    public void replayMissedEvents(Exchange exchange) throws StripeException {
        reconciler.replayMissedEvents(run(exchange));
    }

    public void repairSubscriptions(Exchange exchange) throws StripeException {
        reconciler.repairSubscriptions(run(exchange));
    }

    public void revokeUnseen(Exchange exchange) throws StripeException {
        reconciler.revokeUnseen(run(exchange));
    }

    /**
     * Finish, run whatever the steps did (the route calls it in doFinally): records the run as completed,
     * or as failed with the failure the exchange carries. The body becomes the report. A run that could not
     * record its completion fails the exchange too.
     */
    public ReconcileReport finish(Exchange exchange) {
        Throwable failure = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        ReconcileReport report = reconciler.finish(run(exchange), failure);
        exchange.getMessage().setBody(report);
        if (failure == null && !"completed".equals(report.status())) {
            throw new IllegalStateException("reconcile run " + report.runId() + " " + report.status() + ": " + report.error());
        }
        return report;
    }

    private void claim(Exchange exchange, boolean dryRun) {
        String trigger = exchange.getProperty(TRIGGER, "schedule", String.class);
        exchange.setProperty(RUN, reconciler.begin(trigger, dryRun));
    }

    private static Reconciler.Run run(Exchange exchange) {
        Reconciler.Run run = exchange.getProperty(RUN, Reconciler.Run.class);
        if (run == null) {
            throw new IllegalStateException("no claimed reconcile run on the exchange: the claim step must run first");
        }
        return run;
    }

    // ---- POST /admin/reconcile (routes/admin.camel.yaml) --------------------------------------------

    /**
     * {@code POST /admin/reconcile[?dryRun=true]}: claims the run now, so a refusal is answered 409 at once;
     * the route then runs a real run in the background (202) and a dry run before answering (200, or 502
     * when it failed).
     */
    public void claimForAdmin(Exchange exchange, @Header("query.dryRun") String dryRun) {
        exchange.setProperty(TRIGGER, "admin");
        claim(exchange, Boolean.parseBoolean(dryRun));
    }

    /** 202 with the run's id: follow it with {@code GET /admin/reconcile/last}. */
    public String startedForAdmin(Exchange exchange) {
        ReconcileReport started = run(exchange).report();
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        return NODES.objectNode().put("runId", started.runId()).put("status", "running")
                .put("resumed", started.resumes() > 0)
                .put("message", "reconcile started; GET /admin/reconcile/last shows its progress and report").toString();
    }

    /** The dry run's report: 200 when it completed, 502 when Stripe or Convex failed it. */
    public String dryRunForAdmin(Exchange exchange) {
        ReconcileReport report = run(exchange).report();
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, "completed".equals(report.status()) ? 200 : 502);
        return report.toJson().toString();
    }

    /** 409 naming the run in progress. */
    public String refusedForAdmin(Exchange exchange) {
        Throwable refusal = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 409);
        return NODES.objectNode().put("error", refusal == null ? "a reconcile run is in progress" : refusal.getMessage()).toString();
    }

    /** {@code GET /admin/reconcile/last}: the run state, the last completed report and this instance's last dry run. */
    public String lastForAdmin() {
        return last().toString();
    }

    public ObjectNode last() {
        ObjectNode out = NODES.objectNode();
        JsonNode state = reconciler.store().state().orElse(null);
        if (state == null) {
            out.putNull("current");
            out.putNull("lastCompleted");
        } else {
            ObjectNode current = NODES.objectNode().put("runId", state.path("runId").asText(null))
                    .put("status", state.path("status").asText(null)).put("phase", state.path("phase").asText(null))
                    .put("owner", state.path("owner").asText(null));
            current.set("cursor", state.path("cursor"));
            current.set("startedAt", state.path("startedAt"));
            current.set("finishedAt", state.path("finishedAt"));
            current.set("heartbeatAt", state.path("heartbeatAt"));
            current.set("error", state.path("error"));
            current.set("report", state.path("report"));
            out.set("current", current);
            out.set("lastCompleted", state.path("lastCompletedReport"));
        }
        reconciler.lastDryRun().ifPresentOrElse(r -> out.set("lastDryRun", r.toJson()), () -> out.putNull("lastDryRun"));
        return out;
    }
}

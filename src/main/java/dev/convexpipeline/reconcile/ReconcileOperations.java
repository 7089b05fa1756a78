package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.OperatorMessages;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps routes/stripe-reconcile.camel.yaml and routes/admin.camel.yaml call: the scheduled run,
 * {@code POST /admin/reconcile[?dryRun=true]} and {@code GET /admin/reconcile/last}.
 */
public final class ReconcileOperations {
    private static final Logger LOG = LoggerFactory.getLogger(ReconcileOperations.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Reconciler reconciler;

    public ReconcileOperations(Reconciler reconciler) {
        this.reconciler = reconciler;
    }

    /** The Quartz trigger: runs to the end; a run already in progress elsewhere is not an error here. */
    public void scheduled() {
        try {
            reconciler.run("schedule", false);
        } catch (ReconcileStore.RunInProgressException e) {
            LOG.info("Scheduled reconcile skipped: {}", e.getMessage());
        } catch (RuntimeException e) {
            // Not started (no Stripe key, Convex unreachable): nothing was claimed, the next fire tries again.
            LOG.warn("Scheduled reconcile could not start: {}", OperatorMessages.describe(e));
        }
    }

    /**
     * {@code POST /admin/reconcile}: a real run starts in the background and is answered 202 with its
     * id (follow it with {@code GET /admin/reconcile/last}); {@code ?dryRun=true} runs now and answers
     * 200 with the drift it would fix. 409 when a run is in progress.
     */
    public String runForAdmin(Exchange exchange, @Header("query.dryRun") String dryRun) {
        try {
            if (Boolean.parseBoolean(dryRun)) {
                ReconcileReport report = reconciler.run("admin", true);
                exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, "completed".equals(report.status()) ? 200 : 502);
                return report.toJson().toString();
            }
            ReconcileReport started = reconciler.start("admin");
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
            return NODES.objectNode().put("runId", started.runId()).put("status", "running")
                    .put("resumed", started.resumes() > 0)
                    .put("message", "reconcile started; GET /admin/reconcile/last shows its progress and report").toString();
        } catch (ReconcileStore.RunInProgressException e) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 409);
            return NODES.objectNode().put("error", e.getMessage()).toString();
        }
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

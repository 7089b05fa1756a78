package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one reconcile run found and did. Kept in {@code stripe_reconcile_state.report} after every
 * page (so a resumed run carries on counting), logged, printed by the CLI and served by the admin API.
 * Mutated only by the thread running the run.
 */
public final class ReconcileReport {
    /** The drift listed in a report (a dry run's "would fix" list); counts are always complete. */
    static final int MAX_DRIFT_LISTED = 200;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Counters in the order the table prints them. */
    static final List<String> COUNTERS = List.of("subscriptionsSeen", "created", "updated", "revoked", "unchanged",
            "unmatched", "skippedNewer", "eventsSeen", "eventsReplayed", "eventsAlreadyApplied", "errors", "pages",
            "stripeRequests", "stripeRetries", "convexCalls");

    String runId;
    String trigger;
    boolean dryRun;
    int resumes;
    String status = "running";
    double startedAt;
    Double finishedAt;
    String error;
    final Map<String, Long> counts = new LinkedHashMap<>();
    final List<Drift> drift = new ArrayList<>();

    /** One difference between Stripe and {@code entitlements}: {@code action} is create, update or revoke. */
    public record Drift(String stripeSubscriptionId, String action, String changes) {
        ObjectNode toJson() {
            return NODES.objectNode().put("stripeSubscriptionId", stripeSubscriptionId).put("action", action)
                    .put("changes", changes);
        }
    }

    ReconcileReport(String runId, String trigger, boolean dryRun, double startedAt) {
        this.runId = runId;
        this.trigger = trigger;
        this.dryRun = dryRun;
        this.startedAt = startedAt;
        COUNTERS.forEach(counter -> counts.put(counter, 0L));
    }

    void add(String counter, long delta) {
        if (!counts.containsKey(counter)) {
            throw new IllegalArgumentException("unknown report counter " + counter);
        }
        counts.merge(counter, delta, Long::sum);
    }

    void drift(String subscriptionId, String action, String changes) {
        if (drift.size() < MAX_DRIFT_LISTED) {
            drift.add(new Drift(subscriptionId, action, changes));
        }
    }

    public long count(String counter) {
        return counts.getOrDefault(counter, 0L);
    }

    public String runId() {
        return runId;
    }

    public String status() {
        return status;
    }

    /** What started the run: {@code schedule}, {@code cli}, {@code admin} (a resumed run keeps its first trigger). */
    public String trigger() {
        return trigger;
    }

    public boolean dryRun() {
        return dryRun;
    }

    public String error() {
        return error;
    }

    public int resumes() {
        return resumes;
    }

    public List<Drift> driftListed() {
        return List.copyOf(drift);
    }

    public Duration duration() {
        double end = finishedAt == null ? System.currentTimeMillis() : finishedAt;
        return Duration.ofMillis((long) (end - startedAt));
    }

    public ObjectNode toJson() {
        ObjectNode json = NODES.objectNode().put("runId", runId).put("trigger", trigger).put("dryRun", dryRun)
                .put("status", status).put("resumes", (double) resumes).put("startedAt", startedAt);
        if (finishedAt == null) {
            json.putNull("finishedAt");
        } else {
            json.put("finishedAt", finishedAt);
        }
        json.put("durationMs", (double) duration().toMillis());
        counts.forEach((counter, value) -> json.put(counter, value.doubleValue()));
        json.put("error", error);
        ArrayNode list = json.putArray("drift");
        drift.forEach(d -> list.add(d.toJson()));
        return json;
    }

    /** A report read back from Convex (to resume a run, or to show the last one). */
    public static ReconcileReport fromJson(JsonNode json) {
        ReconcileReport report = new ReconcileReport(json.path("runId").asText(null), json.path("trigger").asText("unknown"),
                json.path("dryRun").asBoolean(false), json.path("startedAt").asDouble(0));
        report.status = json.path("status").asText("running");
        report.resumes = json.path("resumes").asInt(0);
        report.finishedAt = json.path("finishedAt").isNumber() ? json.path("finishedAt").asDouble() : null;
        report.error = json.path("error").isTextual() ? json.path("error").asText() : null;
        COUNTERS.forEach(counter -> report.counts.put(counter, json.path(counter).asLong(0)));
        json.path("drift").forEach(d -> report.drift.add(new Drift(d.path("stripeSubscriptionId").asText(),
                d.path("action").asText(), d.path("changes").asText())));
        return report;
    }

    /** The human table of the CLI. */
    public void printTable(PrintWriter out) {
        out.printf("%-22s %s%n", "run", runId);
        out.printf("%-22s %s%s%n", "status", status, dryRun ? " (dry run: nothing was changed)" : "");
        out.printf("%-22s %s%n", "trigger", trigger);
        out.printf("%-22s %s%n", "started", Instant.ofEpochMilli((long) startedAt));
        out.printf("%-22s %.1f s%n", "duration", duration().toMillis() / 1000.0);
        if (resumes > 0) {
            out.printf("%-22s %d%n", "resumed", resumes);
        }
        counts.forEach((counter, value) -> out.printf("%-22s %d%n", counter, value));
        if (error != null) {
            out.printf("%-22s %s%n", "error", error);
        }
        if (!drift.isEmpty()) {
            out.println();
            out.printf("%-8s %-30s %s%n", dryRun ? "WOULD" : "ACTION", "SUBSCRIPTION", "CHANGES");
            drift.forEach(d -> out.printf("%-8s %-30s %s%n", d.action(), d.stripeSubscriptionId(), d.changes()));
            long total = count("created") + count("updated") + count("revoked");
            if (total > drift.size()) {
                out.printf("... and %d more%n", total - drift.size());
            }
        }
        out.flush();
    }

    /** One log line. */
    public String summary() {
        return "reconcile " + runId + (dryRun ? " (dry run)" : "") + " " + status + " in " + duration().toMillis() + " ms: "
                + "seen=" + count("subscriptionsSeen") + " created=" + count("created") + " updated=" + count("updated")
                + " revoked=" + count("revoked") + " unchanged=" + count("unchanged") + " unmatched=" + count("unmatched")
                + " skippedNewer=" + count("skippedNewer") + " eventsReplayed=" + count("eventsReplayed")
                + " errors=" + count("errors") + " stripeRequests=" + count("stripeRequests")
                + " convexCalls=" + count("convexCalls") + (error == null ? "" : " error=" + error);
    }
}

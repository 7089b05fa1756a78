package dev.convexpipeline.emulator.functions.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.functions.ArgumentValidationError;
import dev.convexpipeline.emulator.functions.Args;
import dev.convexpipeline.emulator.functions.ConvexError;
import dev.convexpipeline.emulator.functions.FunctionContext;
import dev.convexpipeline.emulator.functions.FunctionRegistry;
import dev.convexpipeline.emulator.store.DatabaseWriter;

import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The reconcile functions of docs/convex-contract.md ("Stripe reconcile"), as a real deployment's
 * {@code convex/reconcile.ts} would define them. Corrections go through
 * {@link StripeFunctions#applySubscription}, so a reconcile write obeys the webhook's watermark.
 */
public final class ReconcileFunctions {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String STATE = "stripe_reconcile_state";
    private static final String SEEN = "stripe_reconcile_seen";
    private static final String ENTITLEMENTS = "entitlements";
    private static final String KEY = "subscriptions";
    private static final Set<String> TERMINAL = Set.of("canceled", "incomplete_expired");

    private ReconcileFunctions() {
    }

    public static void registerAll(FunctionRegistry registry) {
        registry.internalQuery("reconcile:getState", (ctx, args) -> {
            Args.allowOnly(args);
            return state(ctx.db()).<JsonNode>map(doc -> doc).orElse(NullNode.getInstance());
        });
        registry.internalMutation("reconcile:begin", ReconcileFunctions::begin);
        registry.internalQuery("reconcile:readPage", ReconcileFunctions::readPage);
        registry.internalQuery("reconcile:knownEvents", ReconcileFunctions::knownEvents);
        registry.internalMutation("reconcile:applyPage", ReconcileFunctions::applyPage);
        registry.internalQuery("reconcile:listUnseen", ReconcileFunctions::listUnseen);
        registry.internalMutation("reconcile:finish", ReconcileFunctions::finish);
        registry.internalMutation("reconcile:pruneSeen", ReconcileFunctions::pruneSeen);
    }

    private static JsonNode begin(FunctionContext ctx, ObjectNode args) {
        Args.allowOnly(args, "runId", "owner", "now", "leaseMs");
        String runId = Args.requiredString(args, "runId");
        String owner = Args.requiredString(args, "owner");
        double now = number(args, "now");
        double lease = number(args, "leaseMs");
        DatabaseWriter db = ctx.db();
        Optional<ObjectNode> existing = state(db);
        if (existing.isPresent() && "running".equals(existing.get().path("status").asText())) {
            ObjectNode running = existing.get();
            double heartbeat = running.path("heartbeatAt").asDouble(0);
            String heldRunId = running.path("runId").asText();
            // A retry after a lost reply: this owner already holds the run it asked for (a new run keeps
            // the caller's runId; a take-over keeps the old runId but was stamped with this call's `now`).
            if (owner.equals(running.path("owner").asText()) && (runId.equals(heldRunId) || heartbeat == now)) {
                ObjectNode replay = running.deepCopy();
                replay.put("resumed", !runId.equals(heldRunId));
                return replay;
            }
            if (now - heartbeat < lease) {
                throw new ConvexError(NODES.objectNode().put("code", "RECONCILE_RUNNING")
                        .put("runId", running.path("runId").asText()).put("owner", running.path("owner").asText())
                        .put("startedAt", running.path("startedAt").asDouble())
                        .put("heartbeatAt", heartbeat)
                        .put("message", "reconcile run " + running.path("runId").asText() + " is running on "
                                + running.path("owner").asText()));
            }
            // Its owner stopped checking in: it was killed. Take the run over where it stopped.
            db.patch(running.get("_id").textValue(), NODES.objectNode().put("owner", owner).put("heartbeatAt", now));
            ObjectNode resumed = db.get(running.get("_id").textValue()).deepCopy();
            resumed.put("resumed", true);
            return resumed;
        }
        ObjectNode fields = NODES.objectNode().put("key", KEY).put("runId", runId).put("owner", owner)
                .put("status", "running").put("phase", "events").put("startedAt", now).put("heartbeatAt", now);
        fields.putNull("cursor");
        fields.putNull("finishedAt");
        fields.putNull("report");
        fields.putNull("error");
        if (existing.isPresent()) {
            db.patch(existing.get().get("_id").textValue(), fields);
        } else {
            fields.putNull("lastCompletedRunId");
            fields.putNull("lastCompletedStartedAt");
            fields.putNull("lastCompletedReport");
            db.insert(STATE, fields);
        }
        ObjectNode started = state(db).orElseThrow().deepCopy();
        started.put("resumed", false);
        return started;
    }

    private static JsonNode readPage(FunctionContext ctx, ObjectNode args) {
        Args.allowOnly(args, "stripeSubscriptionIds", "stripeCustomerIds");
        Set<String> subscriptions = strings(args, "stripeSubscriptionIds");
        Set<String> customers = strings(args, "stripeCustomerIds");
        ArrayNode entitlements = NODES.arrayNode();
        ctx.db().query(ENTITLEMENTS).stream()
                .filter(doc -> subscriptions.contains(doc.path("stripeSubscriptionId").asText()))
                .forEach(entitlements::add);
        ArrayNode linked = NODES.arrayNode();
        ctx.db().query("users").stream()
                .map(doc -> doc.path("stripeCustomerId").asText(null))
                .filter(customers::contains)
                .distinct()
                .forEach(linked::add);
        Set<String> linkedSet = new HashSet<>();
        linked.forEach(id -> linkedSet.add(id.asText()));
        ArrayNode pending = NODES.arrayNode();
        ctx.db().query("stripe_events").stream()
                .filter(doc -> "unmatched".equals(doc.path("outcome").asText()))
                .map(doc -> doc.path("stripeCustomerId").asText(null))
                .filter(linkedSet::contains)
                .distinct()
                .forEach(pending::add);
        ObjectNode result = NODES.objectNode();
        result.set("entitlements", entitlements);
        result.set("linkedCustomers", linked);
        result.set("customersWithPendingEvents", pending);
        return result;
    }

    private static JsonNode knownEvents(FunctionContext ctx, ObjectNode args) {
        Args.allowOnly(args, "eventIds");
        Set<String> ids = strings(args, "eventIds");
        ArrayNode known = NODES.arrayNode();
        ctx.db().query("stripe_events").stream().map(doc -> doc.path("eventId").asText())
                .filter(ids::contains).forEach(known::add);
        return known;
    }

    private static JsonNode applyPage(FunctionContext ctx, ObjectNode args) {
        Args.allowOnly(args, "runId", "owner", "now", "phase", "cursor", "seen", "corrections", "report");
        DatabaseWriter db = ctx.db();
        ObjectNode state = owned(db, args);
        String runId = state.path("runId").asText();
        ArrayNode results = NODES.arrayNode();
        // The stored report counts this page's outcomes too, so a run resumed after this commit counts it once.
        ObjectNode report = args.path("report").isObject() ? args.get("report").deepCopy() : null;
        JsonNode corrections = args.path("corrections");
        for (JsonNode correction : corrections) {
            long created = correction.path("created").asLong();
            StripeFunctions.Result result = StripeFunctions.applySubscription(db, correction.path("effect"), created,
                    "reconcile:" + runId);
            results.add(NODES.objectNode()
                    .put("stripeSubscriptionId", correction.path("effect").path("subscription").path("stripeSubscriptionId").asText())
                    .put("outcome", result.outcome()).put("reason", result.reason()));
            String counter = switch (result.outcome()) {
                case "applied" -> correction.path("counter").asText("updated");
                case "stale" -> "skippedNewer";
                case "unmatched" -> "unmatched";
                default -> "errors";
            };
            if (report != null) {
                report.put(counter, report.path(counter).asDouble(0) + 1);
            }
        }
        Set<String> seen = strings(args, "seen");
        if (!seen.isEmpty()) {
            Set<String> already = seenIds(db, runId);
            for (String id : seen) {
                if (!already.contains(id)) {
                    db.insert(SEEN, NODES.objectNode().put("runId", runId).put("stripeSubscriptionId", id));
                }
            }
        }
        ObjectNode fields = NODES.objectNode().put("heartbeatAt", number(args, "now"))
                .put("phase", Args.requiredString(args, "phase"));
        fields.set("cursor", args.hasNonNull("cursor") ? args.get("cursor") : NullNode.getInstance());
        fields.set("report", report == null ? NullNode.getInstance() : report);
        db.patch(state.get("_id").textValue(), fields);
        return NODES.objectNode().set("results", results);
    }

    private static JsonNode listUnseen(FunctionContext ctx, ObjectNode args) {
        Args.allowOnly(args, "runId", "after", "limit");
        String runId = args.hasNonNull("runId") ? args.get("runId").asText() : null;
        String after = args.hasNonNull("after") ? args.get("after").asText() : "";
        int limit = (int) number(args, "limit");
        if (limit < 1 || limit > 1000) {
            throw new ArgumentValidationError("limit must be between 1 and 1000, got " + limit);
        }
        Set<String> seen = runId == null ? Set.of() : seenIds(ctx.db(), runId);
        List<ObjectNode> candidates = ctx.db().query(ENTITLEMENTS).stream()
                .filter(doc -> !TERMINAL.contains(doc.path("status").asText()))
                .filter(doc -> doc.path("stripeSubscriptionId").asText().compareTo(after) > 0)
                .filter(doc -> !seen.contains(doc.path("stripeSubscriptionId").asText()))
                .sorted(Comparator.comparing(doc -> doc.path("stripeSubscriptionId").asText()))
                .limit(limit + 1L)
                .toList();
        ArrayNode page = NODES.arrayNode();
        candidates.stream().limit(limit).forEach(page::add);
        ObjectNode result = NODES.objectNode();
        result.set("entitlements", page);
        if (candidates.size() > limit) {
            result.put("next", candidates.get(limit - 1).path("stripeSubscriptionId").asText());
        } else {
            result.putNull("next");
        }
        return result;
    }

    private static JsonNode finish(FunctionContext ctx, ObjectNode args) {
        Args.allowOnly(args, "runId", "owner", "now", "status", "report", "error");
        DatabaseWriter db = ctx.db();
        String status = Args.requiredString(args, "status");
        if (!Set.of("completed", "failed").contains(status)) {
            throw new ArgumentValidationError("status must be completed or failed, got " + status);
        }
        Optional<ObjectNode> current = state(db);
        if (current.isPresent() && isFinishReplay(current.get(), args, status)) {
            // A retry after a lost reply: the run already ended as this call asked; nothing to write.
            return NullNode.getInstance();
        }
        ObjectNode state = owned(db, args);
        double now = number(args, "now");
        ObjectNode fields = NODES.objectNode().put("status", status).put("finishedAt", now).put("heartbeatAt", now);
        fields.set("report", args.path("report").isObject() ? args.get("report") : NullNode.getInstance());
        fields.set("error", args.hasNonNull("error") ? args.get("error") : NullNode.getInstance());
        fields.putNull("cursor");
        if ("completed".equals(status)) {
            fields.put("lastCompletedRunId", state.path("runId").asText());
            fields.put("lastCompletedStartedAt", state.path("startedAt").asDouble());
            fields.set("lastCompletedReport", fields.get("report"));
        }
        db.patch(state.get("_id").textValue(), fields);
        return NullNode.getInstance();
    }

    /**
     * The run this finish names already ended with this status: still the state's run (same owner),
     * or, once completed, the last completed run after another run has begun since.
     */
    private static boolean isFinishReplay(ObjectNode state, ObjectNode args, String status) {
        String runId = Args.requiredString(args, "runId");
        boolean endedHere = status.equals(state.path("status").asText())
                && runId.equals(state.path("runId").asText())
                && Args.requiredString(args, "owner").equals(state.path("owner").asText());
        boolean completedEarlier = "completed".equals(status) && !runId.equals(state.path("runId").asText())
                && runId.equals(state.path("lastCompletedRunId").asText());
        return endedHere || completedEarlier;
    }

    private static JsonNode pruneSeen(FunctionContext ctx, ObjectNode args) {
        Args.allowOnly(args, "limit");
        int limit = (int) number(args, "limit");
        DatabaseWriter db = ctx.db();
        Optional<ObjectNode> state = state(db);
        String running = state.filter(doc -> "running".equals(doc.path("status").asText()))
                .map(doc -> doc.path("runId").asText()).orElse(null);
        List<ObjectNode> stale = db.query(SEEN).stream()
                .filter(doc -> !doc.path("runId").asText().equals(running)).toList();
        int deleted = Math.min(limit, stale.size());
        stale.subList(0, deleted).forEach(doc -> db.delete(doc.get("_id").textValue()));
        ObjectNode result = NODES.objectNode().put("hasMore", stale.size() > deleted);
        result.set("deleted", ConvexValues.int64(deleted));
        return result;
    }

    /** The running state row, if {@code runId}/{@code owner} still hold it; otherwise RECONCILE_NOT_OWNER. */
    private static ObjectNode owned(DatabaseWriter db, ObjectNode args) {
        String runId = Args.requiredString(args, "runId");
        String owner = Args.requiredString(args, "owner");
        Optional<ObjectNode> state = state(db);
        if (state.isEmpty() || !"running".equals(state.get().path("status").asText())
                || !runId.equals(state.get().path("runId").asText()) || !owner.equals(state.get().path("owner").asText())) {
            throw new ConvexError(NODES.objectNode().put("code", "RECONCILE_NOT_OWNER").put("runId", runId)
                    .put("owner", owner)
                    .put("message", "reconcile run " + runId + " is no longer held by " + owner
                            + " (taken over after its lease expired, or already finished)"));
        }
        return state.get();
    }

    private static Optional<ObjectNode> state(DatabaseWriter db) {
        return db.query(STATE).stream().filter(doc -> KEY.equals(doc.path("key").asText())).findFirst();
    }

    private static Set<String> seenIds(DatabaseWriter db, String runId) {
        Set<String> ids = new HashSet<>();
        db.query(SEEN).stream().filter(doc -> runId.equals(doc.path("runId").asText()))
                .forEach(doc -> ids.add(doc.path("stripeSubscriptionId").asText()));
        return ids;
    }

    private static Set<String> strings(ObjectNode args, String field) {
        JsonNode value = args.get(field);
        if (value == null || !value.isArray()) {
            throw new ArgumentValidationError("Value does not match validator.\nPath: ." + field + "\nValidator: v.array(v.string())");
        }
        Set<String> out = new HashSet<>();
        value.forEach(node -> out.add(node.asText()));
        return out;
    }

    private static double number(ObjectNode args, String field) {
        JsonNode value = args.get(field);
        if (value == null || !value.isNumber()) {
            throw new ArgumentValidationError("Value does not match validator.\nPath: ." + field + "\nValidator: v.float64()");
        }
        return value.doubleValue();
    }
}

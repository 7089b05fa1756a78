package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexFunctionException;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.stripe.EventEffect;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reconcile's Convex functions (docs/convex-contract.md, "Stripe reconcile"): run state and cursor
 * in {@code stripe_reconcile_state}, bulk reads of {@code entitlements}, and one mutation per page
 * that applies that page's corrections and advances the cursor together.
 */
public final class ReconcileStore {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final ConvexClient convex;
    private final AtomicLong calls = new AtomicLong();

    /** {@code convex} may be null when no admin key is configured: every call then fails saying so. */
    public ReconcileStore(ConvexClient convex) {
        this.convex = convex;
    }

    private ConvexClient convex() {
        if (convex == null) {
            throw new dev.convexpipeline.SettingMissingException("convex.admin-key (CONVEX_SERVICE_TOKEN) is not set: reconcile cannot reach Convex");
        }
        return convex;
    }

    /** Another run holds the state (running, and checked in within the lease). */
    public static final class RunInProgressException extends RuntimeException {
        public RunInProgressException(String message) {
            super(message, null, false, false);
        }
    }

    /** This instance lost its run (taken over after its lease expired, or finished elsewhere). */
    public static final class RunLostException extends RuntimeException {
        public RunLostException(String message) {
            super(message, null, false, false);
        }
    }

    /** The state row ({@code stripe_reconcile_state}, key {@code subscriptions}) or empty. */
    public Optional<JsonNode> state() {
        JsonNode state = query("reconcile:getState", NODES.objectNode());
        return state == null || state.isNull() ? Optional.empty() : Optional.of(state);
    }

    /**
     * Claims a new run, or takes over a killed one (then {@code resumed} is true and the cursor is kept).
     * {@code now} is fixed here, once: the client's retries after a lost reply resend the same
     * arguments, which is how reconcile:begin recognizes its own earlier commit and answers it again.
     */
    public JsonNode begin(String runId, String owner, long leaseMillis) {
        ObjectNode args = NODES.objectNode().put("runId", runId).put("owner", owner)
                .put("now", (double) System.currentTimeMillis()).put("leaseMs", (double) leaseMillis);
        try {
            return mutation("reconcile:begin", args);
        } catch (ConvexFunctionException e) {
            if ("RECONCILE_RUNNING".equals(e.errorCode())) {
                throw new RunInProgressException("a reconcile run is already in progress: run "
                        + e.errorData().path("runId").asText() + " on " + e.errorData().path("owner").asText()
                        + " — wait for it to finish (GET /admin/reconcile/last or `reconcile --status`)");
            }
            throw e;
        }
    }

    /** The entitlements of these subscriptions and which of these customers are linked to a user. */
    public record PageRead(Map<String, JsonNode> entitlementsBySubscription, Set<String> linkedCustomers,
                           Set<String> customersWithPendingEvents) {
    }

    public PageRead readPage(Collection<String> subscriptionIds, Collection<String> customerIds) {
        ObjectNode args = NODES.objectNode();
        args.set("stripeSubscriptionIds", strings(subscriptionIds));
        args.set("stripeCustomerIds", strings(customerIds));
        JsonNode result = query("reconcile:readPage", args);
        Map<String, JsonNode> bySubscription = new HashMap<>();
        result.path("entitlements").forEach(doc -> bySubscription.put(doc.path("stripeSubscriptionId").asText(), doc));
        Set<String> linked = new HashSet<>();
        result.path("linkedCustomers").forEach(id -> linked.add(id.asText()));
        Set<String> pending = new HashSet<>();
        result.path("customersWithPendingEvents").forEach(id -> pending.add(id.asText()));
        return new PageRead(bySubscription, linked, pending);
    }

    /**
     * {@code stripe:applyPendingForCustomer}: applies the events recorded {@code unmatched} for a customer a
     * user has been linked to since (by the app rather than a checkout); returns how many were applied.
     */
    public long applyPendingForCustomer(String customerId) {
        return mutation("stripe:applyPendingForCustomer", NODES.objectNode().put("stripeCustomerId", customerId))
                .path("applied").asLong();
    }

    /** Which of these event ids {@code stripe_events} already holds. */
    public Set<String> knownEvents(Collection<String> eventIds) {
        ObjectNode args = NODES.objectNode();
        args.set("eventIds", strings(eventIds));
        Set<String> known = new HashSet<>();
        query("reconcile:knownEvents", args).forEach(id -> known.add(id.asText()));
        return known;
    }

    /**
     * One entitlement to write, as of Stripe {@code created} seconds (the reconcile watermark);
     * {@code counter} is the report counter it adds to when applied ({@code created}, {@code updated}, {@code revoked}).
     */
    public record Correction(EventEffect.Subscription effect, long created, String counter) {
    }

    /** What the mutation did with one correction: {@code applied}, {@code stale} or {@code unmatched}. */
    public record Outcome(String stripeSubscriptionId, String outcome, String reason) {
    }

    /**
     * Applies a page's corrections, records its subscriptions as seen by the run and moves the cursor,
     * in one transaction: a run killed at any point resumes after the last page fully written.
     */
    public List<Outcome> applyPage(String runId, String owner, String phase, String cursor, Collection<String> seen,
                                   List<Correction> corrections, ReconcileReport report) {
        ObjectNode args = NODES.objectNode().put("runId", runId).put("owner", owner)
                .put("now", (double) System.currentTimeMillis()).put("phase", phase).put("cursor", cursor);
        args.set("seen", strings(seen));
        ArrayNode list = args.putArray("corrections");
        for (Correction correction : corrections) {
            ObjectNode item = NODES.objectNode();
            item.set("effect", correction.effect().toConvex());
            item.set("created", ConvexValues.int64(correction.created()));
            item.put("counter", correction.counter());
            list.add(item);
        }
        args.set("report", report.toJson());
        JsonNode result = owned(() -> mutation("reconcile:applyPage", args));
        return java.util.stream.StreamSupport.stream(result.path("results").spliterator(), false)
                .map(r -> new Outcome(r.path("stripeSubscriptionId").asText(), r.path("outcome").asText(),
                        r.path("reason").isTextual() ? r.path("reason").asText() : null))
                .toList();
    }

    /** A page of non-terminal entitlements the run has not seen in Stripe's list (all of them when runId is null). */
    public record UnseenPage(List<JsonNode> entitlements, String next) {
    }

    public UnseenPage listUnseen(String runId, String after, int limit) {
        ObjectNode args = NODES.objectNode().put("runId", runId).put("after", after).put("limit", (double) limit);
        JsonNode result = query("reconcile:listUnseen", args);
        List<JsonNode> docs = new java.util.ArrayList<>();
        result.path("entitlements").forEach(docs::add);
        return new UnseenPage(docs, result.path("next").isTextual() ? result.path("next").asText() : null);
    }

    /** Ends the run; a retry after a lost reply finds it ended as asked and succeeds (not RECONCILE_NOT_OWNER). */
    public void finish(String runId, String owner, String status, ReconcileReport report, String error) {
        ObjectNode args = NODES.objectNode().put("runId", runId).put("owner", owner)
                .put("now", (double) System.currentTimeMillis()).put("status", status).put("error", error);
        args.set("report", report.toJson());
        owned(() -> mutation("reconcile:finish", args));
    }

    /** Deletes the seen-markers of finished runs in bounded batches. */
    public long pruneSeen(int batch) {
        long deleted = 0;
        for (int i = 0; i < 10_000; i++) {
            JsonNode result = mutation("reconcile:pruneSeen", NODES.objectNode().put("limit", (double) batch));
            deleted += result.path("deleted").asLong();
            if (!result.path("hasMore").asBoolean()) {
                break;
            }
        }
        return deleted;
    }

    /** Convex function calls made through this store. */
    public long calls() {
        return calls.get();
    }

    private JsonNode owned(java.util.function.Supplier<JsonNode> call) {
        try {
            return call.get();
        } catch (ConvexFunctionException e) {
            if ("RECONCILE_NOT_OWNER".equals(e.errorCode())) {
                throw new RunLostException(e.errorData().path("message").asText(e.getMessage()));
            }
            throw e;
        }
    }

    private JsonNode query(String path, ObjectNode args) {
        calls.incrementAndGet();
        return convex().query(path, args);
    }

    private JsonNode mutation(String path, ObjectNode args) {
        calls.incrementAndGet();
        return convex().mutation(path, args);
    }

    private static ArrayNode strings(Collection<String> values) {
        ArrayNode array = NODES.arrayNode();
        values.forEach(array::add);
        return array;
    }
}

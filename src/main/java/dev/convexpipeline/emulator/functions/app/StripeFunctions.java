package dev.convexpipeline.emulator.functions.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.functions.ArgumentValidationError;
import dev.convexpipeline.emulator.functions.Args;
import dev.convexpipeline.emulator.functions.ConvexError;
import dev.convexpipeline.emulator.functions.FunctionContext;
import dev.convexpipeline.emulator.functions.FunctionRegistry;
import dev.convexpipeline.emulator.store.DatabaseWriter;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The Stripe functions of docs/convex-contract.md ("Stripe events and entitlements", "Housekeeping"),
 * as a real deployment's {@code convex/stripe.ts} and {@code convex/housekeeping.ts} would define them.
 *
 * <p>{@code stripe:applyEvent} is the heart of exactly-once delivery: it looks the event id up in
 * {@code stripe_events}, and in the same transaction records the event and changes the entitlement,
 * so a second delivery — sequential or concurrent, on any pipeline instance — finds the row and has
 * no effect. Ordering is a watermark per subscription: (event {@code created}, status rank, event id),
 * compared lexicographically; see {@link #orderKeyCompare}.
 */
public final class StripeFunctions {
    /** Statuses that end a subscription: within one second they win over any other state. */
    private static final Set<String> TERMINAL = Set.of("canceled", "incomplete_expired");
    private static final Set<String> CHALLENGE_TABLES = Set.of("auth_challenges", "evm_challenges");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String EVENTS = "stripe_events";
    private static final String ENTITLEMENTS = "entitlements";
    private static final String USERS = "users";
    private static final String UNMAPPED = "unmapped";

    private StripeFunctions() {
    }

    public static void registerAll(FunctionRegistry registry) {
        registry.internalMutation("stripe:applyEvent", StripeFunctions::applyEvent);
        registry.internalMutation("stripe:applyPendingForCustomer", (ctx, args) -> {
            Args.allowOnly(args, "stripeCustomerId");
            String customer = Args.requiredString(args, "stripeCustomerId");
            return NODES.objectNode().set("applied", ConvexValues.int64(applyPending(ctx.db(), customer, null)));
        });
        registry.internalQuery("stripe:getEvent", (ctx, args) -> {
            Args.allowOnly(args, "eventId");
            String eventId = Args.requiredString(args, "eventId");
            return findEvent(ctx.db(), eventId).<JsonNode>map(doc -> doc).orElse(NullNode.getInstance());
        });
        registry.internalQuery("stripe:listEvents", StripeFunctions::listEvents);
        registry.internalMutation("stripe:pruneEvents", (ctx, args) -> {
            Args.allowOnly(args, "processedBefore", "limit");
            return prune(ctx.db(), EVENTS, "processedAt", number(args, "processedBefore"), limit(args));
        });
        registry.internalMutation("housekeeping:pruneExpiredChallenges", (ctx, args) -> {
            Args.allowOnly(args, "table", "expiredBefore", "limit");
            String table = Args.requiredString(args, "table");
            if (!CHALLENGE_TABLES.contains(table)) {
                throw new ConvexError(NODES.objectNode().put("code", "INVALID_TABLE").put("table", table));
            }
            return prune(ctx.db(), table, "expiresAt", number(args, "expiredBefore"), limit(args));
        });
    }

    // ---- stripe:applyEvent ------------------------------------------------------------------

    record Result(String outcome, String reason, boolean attention) {
        static Result of(String outcome, String reason) {
            return new Result(outcome, reason, "unmatched".equals(outcome) || "failed".equals(outcome));
        }
    }

    private static JsonNode applyEvent(FunctionContext ctx, ObjectNode args) {
        Args.allowOnly(args, "eventId", "type", "created", "livemode", "effect", "payload", "reapply");
        String eventId = Args.requiredString(args, "eventId");
        String type = Args.requiredString(args, "type");
        JsonNode created = args.get("created");
        if (created == null || !created.isIntegralNumber()) {
            throw new ArgumentValidationError("Value does not match validator.\nPath: .created\nValidator: v.int64()");
        }
        boolean livemode = bool(args, "livemode", true);
        boolean reapply = bool(args, "reapply", false);
        JsonNode effect = args.get("effect");
        if (effect == null || !effect.isObject() || !effect.path("kind").isTextual()) {
            throw new ArgumentValidationError("Value does not match validator.\nPath: .effect\nValidator: v.object({kind: ...})");
        }
        boolean hasPayload = Args.hasOptionalNullableString(args, "payload");
        DatabaseWriter db = ctx.db();

        Optional<ObjectNode> existing = findEvent(db, eventId);
        if (existing.isPresent() && !reapply) {
            ObjectNode first = existing.get();
            return result("duplicate", "first processed as " + first.path("outcome").asText());
        }
        if (reapply && existing.isEmpty()) {
            throw new ConvexError(NODES.objectNode().put("code", "EVENT_NOT_FOUND").put("eventId", eventId)
                    .put("message", "no event " + eventId + " in stripe_events"));
        }
        if (reapply && !existing.get().path("attention").asBoolean(false)) {
            throw new ConvexError(NODES.objectNode().put("code", "EVENT_NOT_REAPPLICABLE").put("eventId", eventId)
                    .put("outcome", existing.get().path("outcome").asText())
                    .put("message", "event " + eventId + " was " + existing.get().path("outcome").asText()
                            + " and needs no re-apply"));
        }
        Result result = applyEffect(db, effect, created.longValue(), eventId);

        ObjectNode row = NODES.objectNode();
        row.put("eventId", eventId).put("type", type).put("livemode", livemode)
                .put("processedAt", (double) System.currentTimeMillis())
                .put("outcome", result.outcome()).put("attention", result.attention());
        row.set("created", ConvexValues.int64(created.longValue()));
        row.set("reason", text(result.reason()));
        row.set("stripeCustomerId", text(customerOf(effect)));
        row.set("stripeSubscriptionId", text(subscriptionOf(effect)));
        row.set("payload", result.attention() && hasPayload ? args.get("payload") : NullNode.getInstance());
        row.set("pendingEffect", "unmatched".equals(result.outcome()) ? effect : NullNode.getInstance());
        if (existing.isPresent()) {
            db.replace(existing.get().get("_id").textValue(), row);
        } else {
            db.insert(EVENTS, row);
        }
        return result(result.outcome(), result.reason());
    }

    private static Result applyEffect(DatabaseWriter db, JsonNode effect, long created, String eventId) {
        return switch (effect.path("kind").asText()) {
            case "subscription" -> applySubscription(db, effect, created, eventId);
            case "invoice" -> applyInvoice(db, effect, created, eventId);
            case "checkout" -> applyCheckout(db, effect, eventId);
            case "customerDeleted" -> applyCustomerDeleted(db, effect.path("stripeCustomerId").asText(), created, eventId);
            case "ignore" -> Result.of("ignored", effect.path("reason").asText(null));
            case "fail" -> Result.of("failed", effect.path("reason").asText(null));
            default -> throw new ArgumentValidationError("Unknown effect kind " + effect.path("kind").asText());
        };
    }

    static Result applySubscription(DatabaseWriter db, JsonNode effect, long created, String eventId) {
        JsonNode sub = effect.path("subscription");
        String subscriptionId = sub.path("stripeSubscriptionId").asText();
        String customer = sub.path("stripeCustomerId").asText();
        String status = sub.path("status").asText();
        Optional<ObjectNode> user = userByCustomer(db, customer);
        if (user.isEmpty()) {
            return Result.of("unmatched", "no user linked to customer " + customer);
        }
        Optional<ObjectNode> entitlement = entitlementBySubscription(db, subscriptionId);
        if (entitlement.isPresent() && isOlder(created, status, eventId, entitlement.get())) {
            return Result.of("stale", staleReason(subscriptionId, entitlement.get()));
        }
        ObjectNode fields = NODES.objectNode()
                .put("userId", user.get().get("_id").textValue())
                .put("tier", sub.path("tier").asText())
                .put("status", status)
                .put("stripeSubscriptionId", subscriptionId)
                .put("stripeCustomerId", customer)
                .put("cancelAtPeriodEnd", sub.path("cancelAtPeriodEnd").asBoolean(false))
                .put("lastEventId", eventId)
                .put("updatedAt", (double) System.currentTimeMillis());
        fields.set("currentPeriodEnd", sub.path("currentPeriodEnd").isNumber()
                ? ConvexValues.float64(sub.get("currentPeriodEnd").doubleValue()) : NullNode.getInstance());
        fields.set("lastEventCreated", ConvexValues.int64(created));
        if (entitlement.isPresent()) {
            db.patch(entitlement.get().get("_id").textValue(), fields);
        } else {
            db.insert(ENTITLEMENTS, fields);
        }
        List<String> unmapped = textArray(effect.path("unmappedPrices"));
        String reason = unmapped.isEmpty() ? null : "unmapped price(s): " + String.join(", ", unmapped);
        return new Result("applied", reason, UNMAPPED.equals(sub.path("tier").asText()));
    }

    private static Result applyInvoice(DatabaseWriter db, JsonNode effect, long created, String eventId) {
        String customer = effect.path("stripeCustomerId").asText();
        String subscriptionId = effect.path("stripeSubscriptionId").asText();
        boolean paid = effect.path("paid").asBoolean();
        if (userByCustomer(db, customer).isEmpty()) {
            return Result.of("unmatched", "no user linked to customer " + customer);
        }
        Optional<ObjectNode> entitlement = entitlementBySubscription(db, subscriptionId);
        if (entitlement.isEmpty()) {
            return Result.of("ignored", "no entitlement for " + subscriptionId + " yet; its subscription event sets it");
        }
        String current = entitlement.get().path("status").asText();
        String next = paid
                ? (Set.of("incomplete", "past_due", "unpaid").contains(current) ? "active" : current)
                : ("active".equals(current) ? "past_due" : current);
        if (isOlder(created, next, eventId, entitlement.get())) {
            return Result.of("stale", staleReason(subscriptionId, entitlement.get()));
        }
        if (next.equals(current)) {
            return Result.of("applied", "no change: " + subscriptionId + " is " + current);
        }
        ObjectNode fields = NODES.objectNode().put("status", next).put("lastEventId", eventId)
                .put("updatedAt", (double) System.currentTimeMillis());
        fields.set("lastEventCreated", ConvexValues.int64(created));
        db.patch(entitlement.get().get("_id").textValue(), fields);
        return Result.of("applied", null);
    }

    private static Result applyCheckout(DatabaseWriter db, JsonNode effect, String eventId) {
        String customer = effect.path("stripeCustomerId").asText();
        String reference = effect.path("clientReferenceId").asText();
        Optional<ObjectNode> user = userByIdOrSubject(db, reference);
        if (user.isEmpty()) {
            return Result.of("failed", "no user with id or auth subject " + reference + " (client_reference_id)");
        }
        String userId = user.get().get("_id").textValue();
        Optional<ObjectNode> holder = userByCustomer(db, customer);
        if (holder.isPresent() && !holder.get().get("_id").textValue().equals(userId)) {
            return Result.of("failed", "customer " + customer + " is linked to another user " + holder.get().get("_id").textValue());
        }
        JsonNode linked = user.get().get("stripeCustomerId");
        if (linked != null && linked.isTextual() && !linked.textValue().equals(customer)) {
            return Result.of("failed", "user " + userId + " is already linked to customer " + linked.textValue());
        }
        if (holder.isEmpty()) {
            db.patch(userId, NODES.objectNode().put("stripeCustomerId", customer));
        }
        long applied = applyPending(db, customer, eventId);
        return Result.of("applied", "linked customer " + customer + " to user " + userId
                + (applied > 0 ? "; applied " + applied + " pending event(s)" : ""));
    }

    private static Result applyCustomerDeleted(DatabaseWriter db, String customer, long created, String eventId) {
        int canceled = 0;
        for (ObjectNode entitlement : db.query(ENTITLEMENTS)) {
            if (customer.equals(entitlement.path("stripeCustomerId").textValue())
                    && !isOlder(created, "canceled", eventId, entitlement)) {
                ObjectNode fields = NODES.objectNode().put("status", "canceled").put("cancelAtPeriodEnd", false)
                        .put("lastEventId", eventId).put("updatedAt", (double) System.currentTimeMillis());
                fields.set("lastEventCreated", ConvexValues.int64(created));
                db.patch(entitlement.get("_id").textValue(), fields);
                canceled++;
            }
        }
        Optional<ObjectNode> user = userByCustomer(db, customer);
        user.ifPresent(doc -> db.patch(doc.get("_id").textValue(), NODES.objectNode().putNull("stripeCustomerId")));
        if (user.isEmpty() && canceled == 0) {
            return Result.of("ignored", "customer " + customer + " is not linked to any user");
        }
        return Result.of("applied", "canceled " + canceled + " entitlement(s)"
                + user.map(doc -> "; unlinked user " + doc.get("_id").textValue()).orElse(""));
    }

    /**
     * Applies the events recorded as unmatched for {@code customer}, oldest first, now that a user is
     * linked to it; each keeps its own watermark, so the newest state wins whatever the order.
     */
    private static long applyPending(DatabaseWriter db, String customer, String linkingEventId) {
        if (userByCustomer(db, customer).isEmpty()) {
            return 0;
        }
        // by_stripeCustomerId_outcome: the customer's rows, then the outcome.
        List<ObjectNode> pending = db.queryByIndex(EVENTS, "stripeCustomerId", TextNode.valueOf(customer)).stream()
                .filter(doc -> "unmatched".equals(doc.path("outcome").textValue())
                        && doc.path("pendingEffect").isObject())
                .sorted(Comparator.<ObjectNode>comparingLong(doc -> doc.path("created").longValue())
                        .thenComparing(doc -> doc.path("eventId").textValue()))
                .toList();
        for (ObjectNode row : pending) {
            String eventId = row.path("eventId").textValue();
            Result result = applyEffect(db, row.get("pendingEffect"), row.path("created").longValue(), eventId);
            String why = "applied when customer " + customer + " was linked"
                    + (linkingEventId == null ? "" : " by " + linkingEventId);
            ObjectNode fields = NODES.objectNode().put("outcome", result.outcome()).put("attention", result.attention())
                    .put("processedAt", (double) System.currentTimeMillis())
                    .put("reason", result.reason() == null ? why : why + ": " + result.reason());
            fields.putNull("pendingEffect");
            if (!result.attention()) {
                fields.putNull("payload");
            }
            db.patch(row.get("_id").textValue(), fields);
        }
        return pending.size();
    }

    // ---- ordering ---------------------------------------------------------------------------

    /**
     * True when an event (created, resulting status, id) is older than the state the entitlement
     * holds. Stripe's {@code created} has one-second resolution, so ties are broken by the status's
     * rank (incomplete before live states before terminal ones: a same-second create+activate or
     * update+cancel always ends in the later state) and then by event id, which is arbitrary but
     * the same on every instance, so concurrent deliveries in any order converge. Equal keys (the
     * same event again, i.e. a re-apply) are not older.
     */
    static boolean isOlder(long created, String status, String eventId, ObjectNode entitlement) {
        return orderKeyCompare(created, status, eventId,
                entitlement.path("lastEventCreated").asLong(Long.MIN_VALUE),
                entitlement.path("status").asText(""), entitlement.path("lastEventId").asText("")) < 0;
    }

    static int orderKeyCompare(long created, String status, String eventId, long otherCreated, String otherStatus,
                               String otherEventId) {
        int byCreated = Long.compare(created, otherCreated);
        if (byCreated != 0) {
            return byCreated;
        }
        int byRank = Integer.compare(rank(status), rank(otherStatus));
        return byRank != 0 ? byRank : eventId.compareTo(otherEventId);
    }

    private static int rank(String status) {
        if (TERMINAL.contains(status)) {
            return 2;
        }
        return "incomplete".equals(status) ? 0 : 1;
    }

    private static String staleReason(String subscriptionId, ObjectNode entitlement) {
        return subscriptionId + " already reflects newer event " + entitlement.path("lastEventId").asText()
                + " (created " + entitlement.path("lastEventCreated").asLong() + ")";
    }

    // ---- queries and housekeeping -------------------------------------------------------------

    private static JsonNode listEvents(FunctionContext ctx, ObjectNode args) {
        Args.allowOnly(args, "attentionOnly", "limit");
        boolean attentionOnly = bool(args, "attentionOnly", true);
        int limit = limit(args);
        ArrayNode out = NODES.arrayNode();
        // by_attention_processedAt when only attention rows are wanted, else by_processedAt (a full read).
        List<ObjectNode> rows = attentionOnly
                ? ctx.db().queryByIndex(EVENTS, "attention", BooleanNode.TRUE) : ctx.db().query(EVENTS);
        rows.stream()
                .sorted(Comparator.<ObjectNode>comparingDouble(doc -> doc.path("processedAt").asDouble()).reversed())
                .limit(limit)
                .forEach(doc -> {
                    ObjectNode copy = doc.deepCopy();
                    // Lists stay small: payloads are read one at a time with stripe:getEvent.
                    copy.put("hasPayload", doc.path("payload").isTextual());
                    copy.remove("payload");
                    copy.remove("pendingEffect");
                    out.add(copy);
                });
        return out;
    }

    private static JsonNode prune(DatabaseWriter db, String table, String timeField, double before, int limit) {
        // by_processedAt / by_expiresAt: the oldest rows first, one more than the batch to know hasMore.
        List<ObjectNode> old = db.queryBelow(table, timeField, before, limit + 1);
        int deleted = Math.min(limit, old.size());
        old.subList(0, deleted).forEach(doc -> db.delete(doc.get("_id").textValue()));
        ObjectNode result = NODES.objectNode().put("hasMore", old.size() > deleted);
        result.set("deleted", ConvexValues.int64(deleted));
        return result;
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static Optional<ObjectNode> findEvent(DatabaseWriter db, String eventId) {
        return first(db.queryByIndex(EVENTS, "eventId", TextNode.valueOf(eventId)));
    }

    private static Optional<ObjectNode> userByCustomer(DatabaseWriter db, String customer) {
        return first(db.queryByIndex(USERS, "stripeCustomerId", TextNode.valueOf(customer)));
    }

    private static Optional<ObjectNode> entitlementBySubscription(DatabaseWriter db, String subscriptionId) {
        return first(db.queryByIndex(ENTITLEMENTS, "stripeSubscriptionId", TextNode.valueOf(subscriptionId)));
    }

    /** {@code client_reference_id} is a users ID (a get) or an auth subject (by_authSubject). */
    private static Optional<ObjectNode> userByIdOrSubject(DatabaseWriter db, String reference) {
        ObjectNode byId = db.get(reference);
        if (byId != null && byId.has("authSubject")
                && db.queryByIndex(USERS, "authSubject", byId.get("authSubject")).stream()
                        .anyMatch(doc -> reference.equals(doc.get("_id").textValue()))) {
            return Optional.of(byId);
        }
        return first(db.queryByIndex(USERS, "authSubject", TextNode.valueOf(reference)));
    }

    /** The first row in by_id order, as {@code .first()} on a scan was. */
    private static Optional<ObjectNode> first(List<ObjectNode> rows) {
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    private static String customerOf(JsonNode effect) {
        JsonNode customer = effect.has("subscription") ? effect.path("subscription").get("stripeCustomerId")
                : effect.get("stripeCustomerId");
        return customer != null && customer.isTextual() ? customer.textValue() : null;
    }

    private static String subscriptionOf(JsonNode effect) {
        JsonNode subscription = effect.has("subscription") ? effect.path("subscription").get("stripeSubscriptionId")
                : effect.get("stripeSubscriptionId");
        return subscription != null && subscription.isTextual() ? subscription.textValue() : null;
    }

    private static ObjectNode result(String outcome, String reason) {
        ObjectNode result = NODES.objectNode().put("outcome", outcome);
        result.set("reason", text(reason));
        return result;
    }

    private static JsonNode text(String value) {
        return value == null ? NullNode.getInstance() : NODES.textNode(value);
    }

    private static List<String> textArray(JsonNode array) {
        return array.isArray() ? java.util.stream.StreamSupport.stream(array.spliterator(), false)
                .map(JsonNode::asText).toList() : List.of();
    }

    private static boolean bool(ObjectNode args, String field, boolean fallback) {
        JsonNode value = args.get(field);
        if (value == null) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw new ArgumentValidationError("Value does not match validator.\nPath: ." + field + "\nValidator: v.boolean()");
        }
        return value.booleanValue();
    }

    private static double number(ObjectNode args, String field) {
        JsonNode value = args.get(field);
        if (value == null || !value.isNumber()) {
            throw new ArgumentValidationError("Value does not match validator.\nPath: ." + field + "\nValidator: v.float64()");
        }
        return value.doubleValue();
    }

    private static int limit(ObjectNode args) {
        JsonNode value = args.get("limit");
        int limit = value == null || !value.isNumber() ? 100 : (int) value.doubleValue();
        if (limit < 1 || limit > 1000) {
            throw new ArgumentValidationError("limit must be between 1 and 1000, got " + limit);
        }
        return limit;
    }
}

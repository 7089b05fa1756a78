package dev.convexpipeline.emulator.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.convexpipeline.convex.ConvexContract;
import dev.convexpipeline.convex.ConvexIds;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.store.DatabaseReader;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The application's functions from docs/convex-contract.md, as a real deployment's {@code convex/}
 * folder defines them. All are internal: the pipeline calls them with the admin key. Lookups go
 * through the store's secondary indexes on the fields the contract indexes ({@code by_authSubject},
 * {@code by_stripeCustomerId}, {@code by_userId}, …), as {@code withIndex} does in a real deployment.
 */
public final class ApplicationFunctions {
    /** The application tables {@code ops:tableCounts} reports, in contract order. */
    public static final List<String> TABLES = List.of("users", "entitlements", "stripe_events",
            "stripe_reconcile_state", "stripe_reconcile_seen", "auth_challenges", "admin_nonces", "evm_links",
            "evm_challenges");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ApplicationFunctions() {
    }

    public static void registerAll(FunctionRegistry registry) {
        registry.internalQuery(ConvexContract.CONTRACT_FUNCTION, (ctx, args) -> {
            Args.allowOnly(args);
            ObjectNode contract = NODES.objectNode();
            contract.put("version", (double) ConvexContract.VERSION);
            ArrayNode functions = contract.putArray("functions");
            ConvexContract.FUNCTIONS.forEach(functions::add);
            return contract;
        });
        registry.internalQuery("users:list", (ctx, args) -> {
            Args.allowOnly(args);
            return array(oldestFirst(ctx.db(), "users", doc -> true));
        });
        lookUp(registry, "users:getByAuthSubject", "users", "authSubject", ApplicationFunctions::first);
        lookUp(registry, "users:getByStripeCustomerId", "users", "stripeCustomerId", ApplicationFunctions::first);
        registry.internalMutation("users:upsert", ApplicationFunctions::upsertUser);
        registry.internalMutation("users:linkStripeCustomer", ApplicationFunctions::linkStripeCustomer);
        lookUp(registry, "entitlements:listByUser", "entitlements", "userId", ApplicationFunctions::array);
        lookUp(registry, "entitlements:getBySubscription", "entitlements", "stripeSubscriptionId", ApplicationFunctions::first);
        registry.internalQuery("ops:tableCounts", (ctx, args) -> {
            Args.allowOnly(args);
            ObjectNode counts = NODES.objectNode();
            TABLES.forEach(table -> counts.set(table, ConvexValues.int64(ctx.db().count(table))));
            return counts;
        });
    }

    private static JsonNode upsertUser(FunctionContext ctx, ObjectNode args) {
        Args.allowOnly(args, "authSubject", "publicKey", "email");
        String subject = Args.requiredString(args, "authSubject");
        boolean hasPublicKey = Args.hasOptionalNullableString(args, "publicKey");
        boolean hasEmail = Args.hasOptionalNullableString(args, "email");
        Optional<ObjectNode> existing = byIndex(ctx.db(), "users", "authSubject", subject).stream().findFirst();
        if (existing.isPresent()) {
            ObjectNode changes = NODES.objectNode();
            if (hasPublicKey) {
                changes.set("publicKey", args.get("publicKey"));
            }
            if (hasEmail) {
                changes.set("email", args.get("email"));
            }
            String id = existing.get().get("_id").textValue();
            if (!changes.isEmpty()) {
                ctx.db().patch(id, changes);
            }
            return TextNode.valueOf(id);
        }
        ObjectNode user = NODES.objectNode();
        user.put("authSubject", subject);
        user.set("publicKey", hasPublicKey ? args.get("publicKey") : NullNode.getInstance());
        user.set("email", hasEmail ? args.get("email") : NullNode.getInstance());
        user.set("stripeCustomerId", NullNode.getInstance());
        return TextNode.valueOf(ctx.db().insert("users", user));
    }

    private static JsonNode linkStripeCustomer(FunctionContext ctx, ObjectNode args) {
        Args.allowOnly(args, "userId", "stripeCustomerId");
        String userId = Args.requiredString(args, "userId");
        String customer = Args.requiredString(args, "stripeCustomerId");
        ObjectNode user = isUsersId(ctx.db(), userId) ? ctx.db().get(userId) : null;
        if (user == null) {
            ObjectNode data = NODES.objectNode().put("code", "USER_NOT_FOUND").put("userId", userId);
            throw new ConvexError(data);
        }
        Optional<ObjectNode> holder = byIndex(ctx.db(), "users", "stripeCustomerId", customer).stream()
                .filter(doc -> !userId.equals(doc.get("_id").textValue())).findFirst();
        if (holder.isPresent()) {
            ObjectNode data = NODES.objectNode().put("code", "CUSTOMER_LINKED_ELSEWHERE")
                    .put("userId", holder.get().get("_id").textValue());
            throw new ConvexError(data);
        }
        ctx.db().patch(userId, NODES.objectNode().put("stripeCustomerId", customer));
        return NullNode.getInstance();
    }

    /** An {@code Id<users>} validator: the string must be an ID of the users table. */
    private static boolean isUsersId(DatabaseReader db, String id) {
        if (!ConvexIds.isValid(id)) {
            return false;
        }
        ObjectNode doc = db.get(id);
        // A document found by this ID is in the table its number names; is that table "users"?
        return doc != null && byIndex(db, "users", "authSubject", doc.path("authSubject")).stream()
                .anyMatch(user -> id.equals(user.get("_id").textValue()));
    }

    private static List<ObjectNode> oldestFirst(DatabaseReader db, String table, Predicate<ObjectNode> filter) {
        return db.query(table).stream().filter(filter)
                .sorted(Comparator.comparingDouble(doc -> doc.path("_creationTime").doubleValue()))
                .toList();
    }

    /**
     * The documents whose {@code field} equals {@code value}, oldest first, read through the
     * contract's {@code by_<field>} index (then ordered by creation time, as the scan was).
     */
    /**
     * A query whose one string argument is named like the index it looks up ({@code users.by_authSubject} takes
     * {@code authSubject}); {@code answer} makes the result of the matching documents (the first, or all of them).
     */
    private static void lookUp(FunctionRegistry registry, String path, String table, String field,
                               Function<List<ObjectNode>, JsonNode> answer) {
        registry.internalQuery(path, (ctx, args) -> {
            Args.allowOnly(args, field);
            return answer.apply(byIndex(ctx.db(), table, field, Args.requiredString(args, field)));
        });
    }

    private static List<ObjectNode> byIndex(DatabaseReader db, String table, String field, String value) {
        return byIndex(db, table, field, TextNode.valueOf(value));
    }

    private static List<ObjectNode> byIndex(DatabaseReader db, String table, String field, JsonNode value) {
        List<ObjectNode> found = db.queryByIndex(table, field, value);
        if (found.size() < 2) {
            return found;
        }
        return found.stream().sorted(Comparator.comparingDouble(doc -> doc.path("_creationTime").doubleValue())).toList();
    }

    private static JsonNode first(List<ObjectNode> documents) {
        return documents.isEmpty() ? NullNode.getInstance() : documents.get(0);
    }

    private static ArrayNode array(List<ObjectNode> documents) {
        ArrayNode out = NODES.arrayNode();
        documents.forEach(out::add);
        return out;
    }
}

package dev.convexpipeline.emulator.store;

import java.util.List;
import java.util.Map;

/**
 * The secondary indexes the store maintains: for each table, the fields whose values it keeps a
 * sorted index of. They are the leading fields of the indexes docs/convex-contract.md declares
 * ({@code by_eventId}, {@code by_stripeCustomerId_outcome}, …); a compound index is served by its
 * first field (the rest is filtered on the few matching rows), as a prefix of a real Convex index.
 * A lookup on a field not listed here falls back to a table scan, so it is always correct.
 */
public final class IndexDefinitions {
    private static final Map<String, List<String>> FIELDS = Map.of(
            "users", List.of("authSubject", "stripeCustomerId"),
            "entitlements", List.of("userId", "stripeSubscriptionId"),
            "stripe_events", List.of("eventId", "processedAt", "attention", "stripeCustomerId"),
            "stripe_reconcile_state", List.of("key"),
            "auth_challenges", List.of("expiresAt"),
            "admin_nonces", List.of("nonce"),
            "evm_links", List.of("address", "userId"),
            "evm_challenges", List.of("expiresAt"));

    private IndexDefinitions() {
    }

    /** The indexed fields of {@code table} (empty for tables without indexes). */
    public static List<String> fieldsOf(String table) {
        return FIELDS.getOrDefault(table, List.of());
    }

    public static boolean isIndexed(String table, String field) {
        return fieldsOf(table).contains(field);
    }
}

package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexValues;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code stripe_events} ledger and the entitlement writes, in Convex (docs/convex-contract.md,
 * "Stripe"). Every call is one Convex function; {@link #apply} is the single mutation that records
 * an event and changes its entitlement in one transaction, which is what makes delivery exactly once.
 */
public final class StripeEventLedger {
    /** Events whose raw JSON is larger are recorded without it (Convex documents are at most 1 MiB). */
    static final int MAX_STORED_PAYLOAD_CHARS = 256 * 1024;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final ConvexClient convex;
    private final StripeMetrics metrics;

    /** {@code convex} may be null when no admin key is configured: every call then fails (503 on the webhook). */
    public StripeEventLedger(ConvexClient convex, StripeMetrics metrics) {
        this.convex = convex;
        this.metrics = metrics;
    }

    private ConvexClient convex() {
        if (convex == null) {
            throw new dev.convexpipeline.SettingMissingException("convex.admin-key (CONVEX_SERVICE_TOKEN) is not set: cannot reach Convex");
        }
        return convex;
    }

    /** A row of {@code stripe_events} as operators see it (no payload). */
    public record LedgerEntry(String eventId, String type, long created, boolean livemode, double processedAt,
                              String outcome, String reason, boolean attention, String stripeCustomerId,
                              boolean hasPayload) {
        static LedgerEntry of(JsonNode doc) {
            return new LedgerEntry(doc.path("eventId").asText(), doc.path("type").asText(),
                    doc.path("created").asLong(), doc.path("livemode").asBoolean(),
                    doc.path("processedAt").asDouble(), doc.path("outcome").asText(),
                    doc.path("reason").isTextual() ? doc.path("reason").asText() : null,
                    doc.path("attention").asBoolean(false),
                    doc.path("stripeCustomerId").isTextual() ? doc.path("stripeCustomerId").asText() : null,
                    doc.path("hasPayload").asBoolean(doc.path("payload").isTextual()));
        }
    }

    /**
     * Records {@code event} and applies {@code effect}, atomically; a known event id comes back as
     * {@code duplicate} with no change. With {@code reapply}, an event already recorded as needing
     * attention (failed, unmatched, unmapped tier) is evaluated again instead.
     */
    public ApplyResult apply(StripeEvent event, EventEffect effect, boolean reapply) {
        ObjectNode args = NODES.objectNode()
                .put("eventId", event.id())
                .put("type", event.type())
                .put("livemode", event.livemode())
                .put("reapply", reapply);
        args.set("created", ConvexValues.int64(event.created()));
        args.set("effect", effect.toConvex());
        String raw = event.rawJson();
        if (raw != null && raw.length() <= MAX_STORED_PAYLOAD_CHARS) {
            args.put("payload", raw);
        } else {
            args.putNull("payload");
        }
        JsonNode result = metrics.timeConvex("stripe:applyEvent", () -> convex().mutation("stripe:applyEvent", args));
        return new ApplyResult(result.path("outcome").asText(),
                result.path("reason").isTextual() ? result.path("reason").asText() : null);
    }

    /** The ledger row of {@code eventId}, with its stored payload (if any) as the second element. */
    public Optional<StoredEvent> find(String eventId) {
        JsonNode doc = metrics.timeConvex("stripe:getEvent",
                () -> convex().query("stripe:getEvent", NODES.objectNode().put("eventId", eventId)));
        if (doc == null || doc.isNull()) {
            return Optional.empty();
        }
        return Optional.of(new StoredEvent(LedgerEntry.of(doc),
                doc.path("payload").isTextual() ? doc.path("payload").asText() : null));
    }

    public record StoredEvent(LedgerEntry entry, String payload) {
    }

    /** Newest first; only events needing attention (failed, unmatched, unmapped tier) unless {@code all}. */
    public List<LedgerEntry> list(boolean attentionOnly, int limit) {
        ObjectNode args = NODES.objectNode().put("attentionOnly", attentionOnly).put("limit", (double) limit);
        JsonNode docs = metrics.timeConvex("stripe:listEvents", () -> convex().query("stripe:listEvents", args));
        List<LedgerEntry> entries = new ArrayList<>();
        docs.forEach(doc -> entries.add(LedgerEntry.of(doc)));
        return entries;
    }

    /** One bounded batch of deletions; returns the number deleted and whether more remain. */
    public record PruneBatch(long deleted, boolean hasMore) {
        static PruneBatch of(JsonNode result) {
            return new PruneBatch(result.path("deleted").asLong(), result.path("hasMore").asBoolean());
        }
    }

    public PruneBatch pruneEvents(double processedBefore, int limit) {
        ObjectNode args = NODES.objectNode().put("processedBefore", processedBefore).put("limit", (double) limit);
        return PruneBatch.of(metrics.timeConvex("stripe:pruneEvents", () -> convex().mutation("stripe:pruneEvents", args)));
    }

    public PruneBatch pruneChallenges(String table, double expiredBefore, int limit) {
        ObjectNode args = NODES.objectNode().put("table", table).put("expiredBefore", expiredBefore)
                .put("limit", (double) limit);
        return PruneBatch.of(metrics.timeConvex("housekeeping:pruneExpiredChallenges",
                () -> convex().mutation("housekeeping:pruneExpiredChallenges", args)));
    }
}

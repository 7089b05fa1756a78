package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexFunctionException;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Operator actions on the Stripe ledger, shared by the admin API (routes/admin.camel.yaml) and the
 * {@code stripe} CLI command: list the events that need attention and re-apply one once its cause
 * (a missing user, an unmapped price, a bad payload) is fixed.
 */
public final class StripeOperations {
    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;
    private static final Logger LOG = LoggerFactory.getLogger(StripeOperations.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final StripeEventLedger ledger;
    private final StripeEventTranslator translator;
    private final ConvexEventLedgerRepository repository;

    public StripeOperations(StripeEventLedger ledger, StripeEventTranslator translator, ConvexEventLedgerRepository repository) {
        this.ledger = ledger;
        this.translator = translator;
        this.repository = repository;
    }

    /** Outcome of {@link #reapply}: {@code status} is the HTTP status the admin API answers with. */
    public record ReapplyResult(int status, String eventId, ApplyResult result, String error) {
        public ObjectNode toJson() {
            ObjectNode json = NODES.objectNode().put("eventId", eventId);
            if (result != null) {
                json.put("outcome", result.outcome()).put("reason", result.reason());
            } else {
                json.put("error", error);
            }
            return json;
        }
    }

    public List<StripeEventLedger.LedgerEntry> list(boolean all, int limit) {
        return ledger.list(!all, Math.max(1, Math.min(MAX_LIMIT, limit)));
    }

    /** Re-evaluates a recorded event from its stored payload with the current configuration. */
    public ReapplyResult reapply(String eventId) {
        Optional<StripeEventLedger.StoredEvent> stored = ledger.find(eventId);
        if (stored.isEmpty()) {
            return new ReapplyResult(404, eventId, null, "no Stripe event " + eventId + " in the ledger");
        }
        if (!stored.get().entry().attention()) {
            return new ReapplyResult(409, eventId, null, "event " + eventId + " was " + stored.get().entry().outcome()
                    + " and needs no re-apply");
        }
        if (stored.get().payload() == null) {
            return new ReapplyResult(409, eventId, null, "event " + eventId
                    + " was recorded without its payload (too large); resend it from the Stripe dashboard");
        }
        StripeEvent event = StripeEvent.parse(stored.get().payload().getBytes(StandardCharsets.UTF_8));
        try {
            ApplyResult result = ledger.apply(event, translator.translate(event), true);
            repository.forget(eventId);
            LOG.info("Operator re-applied Stripe event {} ({}): {}{}", eventId, event.type(), result.outcome(),
                    result.reason() == null ? "" : " - " + result.reason());
            return new ReapplyResult(200, eventId, result, null);
        } catch (ConvexFunctionException e) {
            if ("EVENT_NOT_REAPPLICABLE".equals(e.errorCode()) || "EVENT_NOT_FOUND".equals(e.errorCode())) {
                return new ReapplyResult(409, eventId, null, e.errorCode() + ": " + e.errorData().path("message").asText(""));
            }
            throw e;
        }
    }

    // ---- admin API (routes/admin.camel.yaml) ----------------------------------------------

    /** {@code GET /admin/stripe/events[?all=true&limit=N]}. */
    public String listForAdmin(@Header("query.all") String all, @Header("query.limit") String limit) {
        ArrayNode out = NODES.arrayNode();
        list(Boolean.parseBoolean(all), parseLimit(limit)).forEach(entry -> out.add(toJson(entry)));
        return NODES.objectNode().set("events", out).toString();
    }

    /** {@code POST /admin/stripe/events/<id>/reapply}. */
    public String reapplyForAdmin(Exchange exchange) {
        String path = exchange.getMessage().getHeader(Exchange.HTTP_PATH, String.class);
        String eventId = path.substring("/admin/stripe/events/".length(), path.length() - "/reapply".length());
        if (eventId.isBlank() || eventId.contains("/")) {
            throw new IllegalArgumentException("Expected POST /admin/stripe/events/<event id>/reapply");
        }
        ReapplyResult result = reapply(eventId);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, result.status());
        return result.toJson().toString();
    }

    public static ObjectNode toJson(StripeEventLedger.LedgerEntry entry) {
        return NODES.objectNode().put("eventId", entry.eventId()).put("type", entry.type())
                .put("created", entry.created()).put("livemode", entry.livemode())
                .put("processedAt", (long) entry.processedAt()).put("outcome", entry.outcome())
                .put("reason", entry.reason()).put("attention", entry.attention())
                .put("stripeCustomerId", entry.stripeCustomerId()).put("reapplicable", entry.attention() && entry.hasPayload());
    }

    private static int parseLimit(String limit) {
        if (limit == null || limit.isBlank()) {
            return DEFAULT_LIMIT;
        }
        try {
            return Integer.parseInt(limit.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("limit must be a number, got '" + limit + "'");
        }
    }
}

package dev.convexpipeline.stripe;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The envelope of a Stripe event, read with Jackson from the raw body so that any {@code api_version}
 * is understood (stripe-java only deserializes events of its own release series).
 *
 * @param id         {@code evt_...}
 * @param type       e.g. {@code customer.subscription.updated}
 * @param created    Unix seconds, Stripe's ordering clock (one-second resolution)
 * @param livemode   live or test mode
 * @param apiVersion the API version the payload is rendered in (may be null)
 * @param object     {@code data.object}
 * @param rawJson    the body exactly as signed, kept for the ledger of events needing attention
 */
public record StripeEvent(String id, String type, long created, boolean livemode, String apiVersion,
                          JsonNode object, String rawJson) {
    static final int MAX_ID_LENGTH = 255;
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    /**
     * Parses a verified body.
     *
     * @throws WebhookRejectedException (400 {@code not_an_event}) when the body is not a Stripe event
     */
    public static StripeEvent parse(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw notAnEvent("body is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw notAnEvent("body is not a JSON object");
        }
        if (root.has("object") && !"event".equals(root.path("object").asText())) {
            throw notAnEvent("object is not \"event\"");
        }
        JsonNode id = root.get("id");
        if (id == null || !id.isTextual() || id.textValue().isBlank() || id.textValue().length() > MAX_ID_LENGTH) {
            throw notAnEvent("missing or invalid id");
        }
        JsonNode type = root.get("type");
        if (type == null || !type.isTextual() || type.textValue().isBlank() || type.textValue().length() > MAX_ID_LENGTH) {
            throw notAnEvent("missing or invalid type");
        }
        JsonNode created = root.get("created");
        if (created == null || !created.isIntegralNumber() || !created.canConvertToLong() || created.longValue() < 0) {
            throw notAnEvent("missing or invalid created");
        }
        JsonNode object = root.path("data").get("object");
        if (object == null || !object.isObject()) {
            throw notAnEvent("missing data.object");
        }
        JsonNode apiVersion = root.get("api_version");
        return new StripeEvent(id.textValue(), type.textValue(), created.longValue(),
                root.path("livemode").asBoolean(false),
                apiVersion != null && apiVersion.isTextual() ? apiVersion.textValue() : null,
                object, new String(body, StandardCharsets.UTF_8));
    }

    private static WebhookRejectedException notAnEvent(String why) {
        return new WebhookRejectedException(400, "not_an_event", "signed body is not a Stripe event: " + why);
    }

    @Override
    public String toString() {
        // Never the payload: it holds customer data.
        return "StripeEvent[" + id + " " + type + " created=" + created + "]";
    }
}

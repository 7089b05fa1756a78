package dev.convexpipeline.emulator.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.convexpipeline.convex.ConvexValues;

import java.util.Iterator;
import java.util.Map;

/**
 * The Java counterpart of JS {@code throw new ConvexError(data)}: reaches the caller as
 * {@code errorData}. The message is what convex-js puts in it: the string itself, or
 * {@code stringifyValueForError(data)} (JSON with bigints as {@code "5n"}, keys in insertion order).
 */
public final class ConvexError extends RuntimeException {
    private final transient JsonNode data;

    public ConvexError(JsonNode data) {
        super(data.isTextual() ? data.textValue() : ConvexValues.write(forErrorMessage(data)));
        this.data = data;
    }

    public JsonNode data() {
        return data;
    }

    private static JsonNode forErrorMessage(JsonNode value) {
        if (value.isIntegralNumber()) {
            return TextNode.valueOf(value.asText() + "n");
        }
        if (value.isFloatingPointNumber()) {
            double d = value.doubleValue();
            if (!Double.isFinite(d)) {
                return JsonNodeFactory.instance.nullNode();
            }
            // JSON.stringify prints integral doubles without a fraction: 5, not 5.0.
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? JsonNodeFactory.instance.numberNode((long) d) : value;
        }
        if (value.isBinary()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (value.isArray()) {
            var out = JsonNodeFactory.instance.arrayNode();
            value.forEach(element -> out.add(forErrorMessage(element)));
            return out;
        }
        if (value.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                out.set(field.getKey(), forErrorMessage(field.getValue()));
            }
            return out;
        }
        return value;
    }
}

package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.Comparator;

/**
 * One entry of a secondary index: a field value and the document's internal id (hex). Entries sort
 * by value in Convex's order (missing &lt; null &lt; int64 &lt; float64 &lt; boolean &lt; string &lt;
 * bytes &lt; array &lt; object), then by id, which is how a Convex index orders rows with equal keys.
 */
record IndexEntry(JsonNode value, String internalIdHex) {
    /** Sorts before every id (ids are lower-case hex). */
    static final String LOWEST_ID = "";
    /** Sorts after every id. */
    static final String HIGHEST_ID = "~";

    static final Comparator<IndexEntry> ORDER = (a, b) -> {
        int byValue = compareValues(a.value, b.value);
        return byValue != 0 ? byValue : a.internalIdHex.compareTo(b.internalIdHex);
    };

    static JsonNode valueOf(JsonNode document, String field) {
        JsonNode value = document.get(field);
        return value == null ? MissingNode.getInstance() : value;
    }

    static int compareValues(JsonNode a, JsonNode b) {
        if (a instanceof TextNode && b instanceof TextNode) {
            // The common case (ids, event ids, customer ids): no type dispatch.
            return a.textValue().compareTo(b.textValue());
        }
        int byType = Integer.compare(rank(a), rank(b));
        if (byType != 0) {
            return byType;
        }
        return switch (rank(a)) {
            case 0, 1 -> 0;
            case 2 -> Long.compare(a.longValue(), b.longValue());
            case 3 -> Double.compare(a.doubleValue(), b.doubleValue());
            case 4 -> Boolean.compare(a.booleanValue(), b.booleanValue());
            case 5 -> a.textValue().compareTo(b.textValue());
            default -> a.toString().compareTo(b.toString());
        };
    }

    private static int rank(JsonNode value) {
        if (value == null) {
            return 0;
        }
        return switch (value.getNodeType()) {
            case MISSING -> 0;
            case NULL -> 1;
            case NUMBER -> value.isIntegralNumber() ? 2 : 3;
            case BOOLEAN -> 4;
            case STRING -> 5;
            case BINARY -> 6;
            case ARRAY -> 7;
            default -> 8;
        };
    }
}

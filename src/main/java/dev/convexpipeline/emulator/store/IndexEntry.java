package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

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
        if (value == null || value.isMissingNode()) {
            return 0;
        }
        if (value.isNull()) {
            return 1;
        }
        if (value.isIntegralNumber()) {
            return 2;
        }
        if (value.isNumber()) {
            return 3;
        }
        if (value.isBoolean()) {
            return 4;
        }
        if (value.isTextual()) {
            return 5;
        }
        if (value.isBinary()) {
            return 6;
        }
        return value.isArray() ? 7 : 8;
    }
}

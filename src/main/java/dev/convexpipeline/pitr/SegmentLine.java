package dev.convexpipeline.pitr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;

/**
 * One line of a change segment: the {@code document_deltas} value ({@code _ts}, {@code _table},
 * {@code _component}, {@code _deleted}) with the document's fields in export_json; a deletion
 * carries only {@code _id}.
 */
record SegmentLine(long ts, String table, String component, boolean deleted, String id, ObjectNode document) {
    static final String TS = "_ts";
    static final String TABLE = "_table";
    static final String COMPONENT = "_component";
    static final String DELETED = "_deleted";

    static SegmentLine parse(String text, String where) {
        JsonNode json;
        try {
            json = ConvexValues.parse(text);
        } catch (RuntimeException e) {
            throw new IllegalStateException("Change segment " + where + " has a line that is not JSON: " + e.getMessage());
        }
        if (!(json instanceof ObjectNode object) || !object.path(TS).canConvertToLong() || !object.path(TABLE).isTextual()
                || !object.path("_id").isTextual()) {
            throw new IllegalStateException("Change segment " + where + " has a line without _ts, _table and _id");
        }
        boolean deleted = object.path(DELETED).asBoolean(false);
        long ts = object.get(TS).asLong();
        String table = object.get(TABLE).asText();
        String component = object.path(COMPONENT).asText("");
        String id = object.get("_id").asText();
        object.remove(TS);
        object.remove(TABLE);
        object.remove(COMPONENT);
        object.remove(DELETED);
        return new SegmentLine(ts, table, component, deleted, id, deleted ? null : object);
    }

    /** The document as a line of the table's documents.jsonl. */
    String documentLine() {
        return ConvexValues.write(document);
    }
}

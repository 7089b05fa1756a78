package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One document from {@code /api/list_snapshot}.
 *
 * @param component component path ({@code ""} for the root)
 * @param table     table name
 * @param ts        the document's write timestamp (ns)
 * @param document  the decoded document (ConvexValues model), including {@code _id} and {@code _creationTime}
 */
public record SnapshotDocument(String component, String table, long ts, ObjectNode document) {
    public String id() {
        return document.path("_id").asText();
    }
}

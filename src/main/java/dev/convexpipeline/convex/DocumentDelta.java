package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One change from {@code /api/document_deltas}.
 *
 * @param component component path ({@code ""} for the root)
 * @param table     table name
 * @param ts        commit timestamp (ns)
 * @param id        the document's {@code _id}
 * @param document  the document after the change (ConvexValues model, with {@code _id} and
 *                  {@code _creationTime}), or {@code null} when the change deleted it
 */
public record DocumentDelta(String component, String table, long ts, String id, ObjectNode document) {
    public boolean deleted() {
        return document == null;
    }
}

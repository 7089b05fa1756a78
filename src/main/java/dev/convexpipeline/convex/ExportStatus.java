package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The newest snapshot export as {@code _system/cli/exports:getLatest} reports it (docs/convex-wire.md §2.3).
 *
 * @param id              {@code _exports} document id
 * @param state           {@code requested}, {@code in_progress}, {@code completed}, {@code failed} or {@code canceled}
 * @param startTs         snapshot timestamp in ns, once known
 * @param progressMessage what the server is doing, while in progress
 * @param sizeBytes       ZIP size, once completed
 */
public record ExportStatus(String id, String state, Long startTs, String progressMessage, Long sizeBytes) {
    public boolean isCompleted() {
        return "completed".equals(state);
    }

    /** States the export cannot leave. */
    public boolean isFinished() {
        return "completed".equals(state) || "failed".equals(state) || "canceled".equals(state);
    }

    static ExportStatus fromDocument(JsonNode doc) {
        return new ExportStatus(
                textOrNull(doc.get("_id")),
                textOrNull(doc.get("state")),
                longOrNull(doc.get("start_ts")),
                textOrNull(doc.get("progress_message")),
                longOrNull(doc.get("size")));
    }

    private static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    private static Long longOrNull(JsonNode node) {
        return node == null || !node.isNumber() ? null : node.longValue();
    }
}

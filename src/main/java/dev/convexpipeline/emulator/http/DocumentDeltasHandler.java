package dev.convexpipeline.emulator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.store.DocumentChange;
import dev.convexpipeline.emulator.store.DocumentStore;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/**
 * {@code GET|POST /api/document_deltas} (docs/convex-wire.md §4.2): user-table changes after a
 * timestamp cursor, whole commits at a time, at most about {@value #PAGE_LIMIT} values per page.
 * The emulator remembers changes made since it started, not before, and forgets the oldest past its
 * retention ({@code DocumentStore#forgetChangesThrough}); an older cursor answers OutOfRetention, as Convex does.
 */
record DocumentDeltasHandler(DocumentStore store) {
    static final int PAGE_LIMIT = 128;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    void handle(RoutingContext ctx, boolean jsonBody) {
        ObjectNode args = jsonBody ? JsonBodies.object(ctx) : queryArgs(ctx);
        JsonNode cursorArg = args.get("cursor");
        if (cursorArg == null || cursorArg.isNull()) {
            throw ApiException.badRequest("DocumentDeltasCursorRequired", "/api/document_deltas requires a cursor");
        }
        long cursor;
        try {
            cursor = cursorArg.isIntegralNumber() ? cursorArg.longValue() : Long.parseLong(cursorArg.asText());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("BadQueryArgs", "Failed to deserialize query string: cursor: invalid digit found in string");
        }
        String format = text(args, "format", "json");
        try {
            ConvexValues.toFormat(NODES.nullNode(), format);
        } catch (ConvexValues.InvalidValueException e) {
            throw ApiException.badRequest("BadFormat", e.getMessage());
        }
        String tableName = args.has("tableName") ? text(args, "tableName", null) : text(args, "table_name", null);
        // Read the latest timestamp first: every commit up to it is already in the change log.
        long upTo = Math.max(cursor, store.latest().timestamp());
        NavigableMap<Long, List<DocumentChange>> commits = store.changes(cursor, upTo).orElseThrow(() ->
                new ApiException(503, "OutOfRetention", "Cursor " + cursor + " is older than the oldest change the emulator "
                        + "still keeps (it keeps changes since it started, up to its retention); restart from /api/list_snapshot"));
        ArrayNode values = NODES.arrayNode();
        long nextCursor = upTo;
        boolean hasMore = false;
        for (Map.Entry<Long, List<DocumentChange>> commit : commits.entrySet()) {
            if (values.size() >= PAGE_LIMIT) {
                hasMore = true;
                break;
            }
            for (DocumentChange change : commit.getValue()) {
                if (tableName != null && !tableName.equals(change.table())) {
                    continue;
                }
                ObjectNode value = NODES.objectNode().put("_component", "").put("_table", change.table())
                        .put("_ts", commit.getKey()).put("_deleted", change.deleted());
                if (change.deleted()) {
                    value.put("_id", change.id());
                } else {
                    value.setAll((ObjectNode) ConvexValues.toFormat(change.document(), format));
                }
                values.add(value);
            }
            nextCursor = commit.getKey();
        }
        ObjectNode response = NODES.objectNode();
        response.set("values", values);
        response.put("cursor", hasMore ? nextCursor : upTo);
        response.put("hasMore", hasMore);
        EmulatorRoutes.json(ctx, 200, response);
    }

    private static ObjectNode queryArgs(RoutingContext ctx) {
        ObjectNode args = NODES.objectNode();
        for (String name : List.of("cursor", "format", "tableName", "table_name", "component")) {
            String value = ctx.request().getParam(name);
            if (value != null) {
                args.put(name, value);
            }
        }
        return args;
    }

    private static String text(ObjectNode args, String field, String fallback) {
        JsonNode value = args.get(field);
        return value == null || value.isNull() ? fallback : value.asText();
    }
}

package dev.convexpipeline.emulator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.store.DatabaseSnapshot;
import dev.convexpipeline.emulator.store.DocumentStore;
import dev.convexpipeline.emulator.store.StoredTable;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * {@code GET|POST /api/list_snapshot} (docs/convex-wire.md §4.1): pages through every user table at one
 * snapshot timestamp. The first page pins the snapshot, so later pages read exactly the same data
 * however many commits happen in between.
 */
record ListSnapshotHandler(DocumentStore store) {
    static final int PAGE_SIZE = 1024;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private record Cursor(int tableNumber, String internalIdHex) {
    }

    void handle(RoutingContext ctx, boolean jsonBody) {
        ObjectNode args = jsonBody ? JsonBodies.object(ctx) : queryArgs(ctx);
        String format = text(args, "format", "json");
        String tableName = args.has("tableName") ? text(args, "tableName", null) : text(args, "table_name", null);
        DatabaseSnapshot snapshot;
        if (args.hasNonNull("snapshot")) {
            long timestamp = number(args.get("snapshot"), "snapshot");
            snapshot = store.at(timestamp).filter(s -> s.timestamp() == timestamp).orElseThrow(() ->
                    ApiException.badRequest("InvalidListSnapshotCursor", "Snapshot " + timestamp
                            + " is no longer retained by the emulator; restart the listing without snapshot and cursor"));
        } else {
            snapshot = store.latest();
        }
        store.pin(snapshot);
        Cursor cursor = args.hasNonNull("cursor") ? parseCursor(text(args, "cursor", null)) : null;
        try {
            ConvexValues.toFormat(NODES.nullNode(), format);
        } catch (ConvexValues.InvalidValueException e) {
            throw ApiException.badRequest("BadFormat", e.getMessage());
        }

        ArrayNode values = NODES.arrayNode();
        Cursor last = null;
        boolean hasMore = false;
        outer:
        for (StoredTable table : snapshot.userTablesByNumber()) {
            if (tableName != null && !table.name().equals(tableName)) {
                continue;
            }
            if (cursor != null && table.number() < cursor.tableNumber()) {
                continue;
            }
            Map<String, ObjectNode> documents = cursor != null && table.number() == cursor.tableNumber()
                    ? table.documents().tailMap(cursor.internalIdHex(), false) : table.documents();
            for (Map.Entry<String, ObjectNode> entry : documents.entrySet()) {
                if (values.size() == PAGE_SIZE) {
                    hasMore = true;
                    break outer;
                }
                ObjectNode value = NODES.objectNode().put("_component", "").put("_table", table.name())
                        .put("_ts", table.writeTimestamp(entry.getKey()));
                value.setAll((ObjectNode) ConvexValues.toFormat(entry.getValue(), format));
                values.add(value);
                last = new Cursor(table.number(), entry.getKey());
            }
        }
        ObjectNode response = NODES.objectNode();
        response.set("values", values);
        response.put("snapshot", snapshot.timestamp());
        if (hasMore) {
            ObjectNode cursorJson = NODES.objectNode().put("tablet", Integer.toString(last.tableNumber()))
                    .put("id", last.internalIdHex());
            response.put("cursor", ConvexValues.write(cursorJson));
        } else {
            response.putNull("cursor");
        }
        response.put("hasMore", hasMore);
        EmulatorRoutes.json(ctx, 200, response);
    }

    private static ObjectNode queryArgs(RoutingContext ctx) {
        ObjectNode args = NODES.objectNode();
        for (String name : List.of("snapshot", "cursor", "format", "tableName", "table_name", "component")) {
            String value = ctx.request().getParam(name);
            if (value != null) {
                args.put(name, value);
            }
        }
        return args;
    }

    private static Cursor parseCursor(String text) {
        try {
            JsonNode json = ConvexValues.MAPPER.readTree(text);
            int table = Integer.parseInt(json.get("tablet").asText());
            String id = json.get("id").asText();
            if (!id.matches("[0-9a-f]{32}")) {
                throw new IllegalArgumentException("bad id");
            }
            return new Cursor(table, id);
        } catch (IOException | RuntimeException e) {
            throw ApiException.badRequest("InvalidListSnapshotCursor", "Invalid cursor " + text
                    + ": pass back the cursor string from the previous list_snapshot response unchanged");
        }
    }

    private static String text(ObjectNode args, String field, String fallback) {
        JsonNode value = args.get(field);
        return value == null || value.isNull() ? fallback : value.asText();
    }

    private static long number(JsonNode value, String field) {
        if (value.canConvertToLong() && value.isIntegralNumber()) {
            return value.longValue();
        }
        try {
            return Long.parseLong(value.asText());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("BadQueryArgs", "Failed to deserialize query string: " + field
                    + ": invalid digit found in string");
        }
    }
}

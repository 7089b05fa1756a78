package dev.convexpipeline.convex;

import dev.convexpipeline.convex.ConvexClient.Call;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Paged reads of a deployment's documents: {@code list_snapshot} (every document at one pinned
 * snapshot) and {@code document_deltas} (every change after a cursor), values decoded from encoded
 * JSON. Sends through its {@link ConvexClient}'s transport; the client's read methods delegate here.
 */
final class ConvexSnapshotReader {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final ConvexClient client;

    ConvexSnapshotReader(ConvexClient client) {
        this.client = client;
    }

    /**
     * Fetches one page of {@code POST /api/list_snapshot} with values in encoded JSON.
     *
     * @param tableName only this table, or {@code null} for all tables
     * @param snapshot  {@code null} on the first call, then the previous page's snapshot
     * @param cursor    {@code null} on the first call, then the previous page's cursor
     */
    public SnapshotPage listSnapshotPage(String tableName, Long snapshot, String cursor) {
        ObjectNode body = NODES.objectNode();
        body.put("format", ConvexClient.FUNCTION_FORMAT);
        if (tableName != null) {
            body.put("tableName", tableName);
        }
        if (snapshot != null) {
            body.put("snapshot", snapshot);
        }
        if (cursor != null) {
            body.put("cursor", cursor);
        }
        Call call = Call.post("/api/list_snapshot", "list_snapshot" + (tableName == null ? "" : " " + tableName),
                ConvexClient.json(body), "application/json");
        JsonNode response = client.parseJson(call, client.execute(call).body());
        List<SnapshotDocument> documents = new ArrayList<>(response.path("values").size());
        for (JsonNode value : response.path("values")) {
            documents.add(toSnapshotDocument(call, value));
        }
        JsonNode next = response.path("cursor");
        return new SnapshotPage(Collections.unmodifiableList(documents), response.path("snapshot").asLong(),
                next.isTextual() ? next.textValue() : null, response.path("hasMore").asBoolean(false));
    }

    /**
     * Every document of a table (or of all tables when {@code tableName} is null) at one pinned
     * snapshot, fetched a page at a time as the iterator advances.
     */
    public Iterator<SnapshotDocument> iterateSnapshot(String tableName) {
        return new SnapshotIterator(tableName);
    }

    /** {@link #iterateSnapshot} as a sequential, lazily paged stream. */
    public Stream<SnapshotDocument> listSnapshot(String tableName) {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterateSnapshot(tableName),
                Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    private final class SnapshotIterator implements Iterator<SnapshotDocument> {
        private final String tableName;
        private Iterator<SnapshotDocument> page = Collections.emptyIterator();
        private Long snapshot;
        private String cursor;
        private boolean more = true;

        SnapshotIterator(String tableName) {
            this.tableName = tableName;
        }

        @Override
        public boolean hasNext() {
            while (!page.hasNext() && more) {
                SnapshotPage next = listSnapshotPage(tableName, snapshot, cursor);
                snapshot = next.snapshot();
                cursor = next.cursor();
                more = next.hasMore();
                page = next.documents().iterator();
            }
            return page.hasNext();
        }

        @Override
        public SnapshotDocument next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return page.next();
        }
    }

    private SnapshotDocument toSnapshotDocument(Call call, JsonNode value) {
        ObjectNode fields = NODES.objectNode();
        value.fields().forEachRemaining(field -> {
            switch (field.getKey()) {
                case "_component", "_table", "_ts", "_deleted" -> { }
                default -> fields.set(field.getKey(), field.getValue());
            }
        });
        JsonNode decoded = client.decode(call, fields);
        if (!decoded.isObject()) {
            throw new ConvexException(call.describe(client.deployment()) + " returned a document that is not an object");
        }
        return new SnapshotDocument(value.path("_component").asText(""), value.path("_table").asText(),
                value.path("_ts").asLong(), (ObjectNode) decoded);
    }

    // ---- document_deltas ----------------------------------------------------------------

    /**
     * One page of {@code POST /api/document_deltas}: every user-table change committed after
     * {@code cursor} (ns, exclusive), oldest first, with values in encoded JSON.
     *
     * @throws ConvexOutOfRetentionException when the client.deployment() no longer keeps changes that old
     */
    public DocumentDeltasPage documentDeltasPage(long cursor) {
        ObjectNode body = NODES.objectNode().put("cursor", cursor).put("format", ConvexClient.FUNCTION_FORMAT);
        Call call = Call.post("/api/document_deltas", "document_deltas after " + cursor, ConvexClient.json(body), "application/json");
        JsonNode response = client.parseJson(call, client.execute(call).body());
        List<DocumentDelta> deltas = new ArrayList<>(response.path("values").size());
        for (JsonNode value : response.path("values")) {
            boolean deleted = value.path("_deleted").asBoolean(false);
            ObjectNode document = deleted ? null : toSnapshotDocument(call, value).document();
            deltas.add(new DocumentDelta(value.path("_component").asText(""), value.path("_table").asText(),
                    value.path("_ts").asLong(), value.path("_id").asText(), document));
        }
        if (!response.path("cursor").canConvertToLong()) {
            throw new ConvexException(call.describe(client.deployment()) + " returned no numeric cursor");
        }
        return new DocumentDeltasPage(Collections.unmodifiableList(deltas), response.path("cursor").asLong(),
                response.path("hasMore").asBoolean(false));
    }
}

package dev.convexpipeline.emulator.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.emulator.store.DatabaseReader;
import dev.convexpipeline.emulator.store.DatabaseWriter;

import java.util.ArrayList;
import java.util.List;

/** What a running function can use: its database view, the caller's identity, logging, and (actions) other functions. */
public final class FunctionContext {
    private final DatabaseWriter db;
    private final Identity identity;
    private final FunctionRunner runner;
    private final List<String> logLines = new ArrayList<>();

    FunctionContext(DatabaseWriter db, Identity identity, FunctionRunner runner) {
        this.db = db;
        this.identity = identity;
        this.runner = runner;
    }

    /** The transaction (mutations) or snapshot (queries); actions have no database access. */
    public DatabaseWriter db() {
        if (db == null) {
            throw new IllegalStateException("Actions cannot access the database directly; use runQuery or runMutation");
        }
        return db;
    }

    /**
     * {@code ctx.db.query(table).withIndex("by_<field>", q => q.eq(field, value))}: the documents
     * whose {@code field} equals {@code value}, in by_id order, read through the index.
     */
    public List<ObjectNode> queryByIndex(String table, String field, JsonNode value) {
        return db().queryByIndex(table, field, value);
    }

    public Identity identity() {
        return identity;
    }

    /** Adds a {@code [LOG]} line to the response's logLines. */
    public void log(String message) {
        logLines.add("[LOG] '" + message + "'");
    }

    public JsonNode runQuery(String path, ObjectNode args) {
        return runner.runNested(FunctionKind.QUERY, path, args, identity);
    }

    public JsonNode runMutation(String path, ObjectNode args) {
        return runner.runNested(FunctionKind.MUTATION, path, args, identity);
    }

    List<String> logLines() {
        return logLines;
    }

    /** A read-only view for queries: writes fail the way Convex fails them. */
    static DatabaseWriter readOnly(DatabaseReader reader) {
        return new DatabaseWriter() {
            @Override
            public ObjectNode get(String id) {
                return reader.get(id);
            }

            @Override
            public java.util.Set<String> tableNames() {
                return reader.tableNames();
            }

            @Override
            public List<ObjectNode> query(String table) {
                return reader.query(table);
            }

            @Override
            public List<ObjectNode> queryByIndex(String table, String field, JsonNode value) {
                return reader.queryByIndex(table, field, value);
            }

            @Override
            public List<ObjectNode> queryBelow(String table, String field, double bound, int limit) {
                return reader.queryBelow(table, field, bound, limit);
            }

            @Override
            public int count(String table) {
                return reader.count(table);
            }

            @Override
            public String insert(String table, ObjectNode fields) {
                throw writeInQuery();
            }

            @Override
            public void patch(String id, ObjectNode fields) {
                throw writeInQuery();
            }

            @Override
            public void replace(String id, ObjectNode fields) {
                throw writeInQuery();
            }

            @Override
            public void delete(String id) {
                throw writeInQuery();
            }

            private IllegalStateException writeInQuery() {
                return new IllegalStateException("Write operations are not allowed in queries");
            }
        };
    }
}

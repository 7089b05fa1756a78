package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/** Read access a query (or a mutation) has to the database. */
public interface DatabaseReader {
    /** The document with this {@code _id}, or null when it does not exist or the ID is malformed. */
    ObjectNode get(String id);

    /** Every document of the table in by_id order (empty for a table that does not exist). */
    List<ObjectNode> query(String table);

    /**
     * Documents of {@code table} whose {@code field} equals {@code value}, in by_id order: an index
     * lookup when the contract declares an index on the field ({@link IndexDefinitions}), else a scan.
     */
    List<ObjectNode> queryByIndex(String table, String field, JsonNode value);

    /** Up to {@code limit} documents whose numeric {@code field} is below {@code bound}, smallest first. */
    List<ObjectNode> queryBelow(String table, String field, double bound, int limit);

    /** Number of documents in the table (0 when it does not exist). */
    int count(String table);

    /** Names of every table, system tables included. */
    java.util.Set<String> tableNames();
}

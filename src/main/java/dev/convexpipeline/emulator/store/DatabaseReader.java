package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/** Read access a query (or a mutation) has to the database. */
public interface DatabaseReader {
    /** The document with this {@code _id}, or null when it does not exist or the ID is malformed. */
    ObjectNode get(String id);

    /** Every document of the table in by_id order (empty for a table that does not exist). */
    List<ObjectNode> query(String table);
}

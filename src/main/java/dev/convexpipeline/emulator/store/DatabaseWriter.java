package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Transactional writes a mutation can make; they become visible together at commit. */
public interface DatabaseWriter extends DatabaseReader {
    /** Inserts a document (user fields only), creating the table on first insert; returns its {@code _id}. */
    String insert(String table, ObjectNode fields);

    /** Sets the given fields on an existing document. */
    void patch(String id, ObjectNode fields);

    /** Replaces all user fields of an existing document. */
    void replace(String id, ObjectNode fields);

    void delete(String id);
}

package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** One document's state after a commit: {@code document} is null when it was deleted. */
public record DocumentChange(String table, String id, ObjectNode document) {
    public boolean deleted() {
        return document == null;
    }
}

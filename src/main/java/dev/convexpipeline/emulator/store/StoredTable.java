package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Collections;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * One table as of one snapshot. Documents are keyed by the hex of their 16 internal id bytes:
 * lower-case hex sorts like the unsigned bytes, which is Convex's {@code by_id} order.
 * Instances inside a published {@link DatabaseSnapshot} are never mutated; a transaction copies a
 * table before its first write to it.
 */
public final class StoredTable {
    private final String name;
    private final int number;
    private final TreeMap<String, ObjectNode> documents;
    private long totalSize;

    StoredTable(String name, int number, TreeMap<String, ObjectNode> documents, long totalSize) {
        this.name = name;
        this.number = number;
        this.documents = documents;
        this.totalSize = totalSize;
    }

    static StoredTable empty(String name, int number) {
        return new StoredTable(name, number, new TreeMap<>(), 0);
    }

    StoredTable copy() {
        return new StoredTable(name, number, new TreeMap<>(documents), totalSize);
    }

    public String name() {
        return name;
    }

    public int number() {
        return number;
    }

    public boolean isSystem() {
        return name.startsWith("_");
    }

    /** Documents in by_id order, read-only. */
    public NavigableMap<String, ObjectNode> documents() {
        return Collections.unmodifiableNavigableMap(documents);
    }

    public int size() {
        return documents.size();
    }

    /** Approximate byte size of the table's documents; exports write the smallest tables first. */
    public long totalSize() {
        return totalSize;
    }

    ObjectNode put(String internalIdHex, ObjectNode document) {
        ObjectNode previous = documents.put(internalIdHex, document);
        totalSize += DocumentSizes.of(document) - (previous == null ? 0 : DocumentSizes.of(previous));
        return previous;
    }

    ObjectNode remove(String internalIdHex) {
        ObjectNode previous = documents.remove(internalIdHex);
        if (previous != null) {
            totalSize -= DocumentSizes.of(previous);
        }
        return previous;
    }
}

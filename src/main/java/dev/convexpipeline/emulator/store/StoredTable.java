package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.pcollections.HashTreePMap;
import org.pcollections.PMap;
import org.pcollections.TreePMap;

import java.util.NavigableMap;

/**
 * One table as of one snapshot. Documents are keyed by the hex of their 16 internal id bytes:
 * lower-case hex sorts like the unsigned bytes, which is Convex's {@code by_id} order.
 * Instances inside a published {@link DatabaseSnapshot} are never mutated; a transaction copies a
 * table before its first write to it. The maps are persistent, so a copy costs O(1) and a write
 * O(log n), and old snapshots share almost everything with new ones.
 */
public final class StoredTable {
    private final String name;
    private final int number;
    private TreePMap<String, ObjectNode> documents;
    /** Commit timestamp (ns) of each document's latest write: list_snapshot reports it as {@code _ts}. */
    private PMap<String, Long> writeTimestamps;
    private long totalSize;

    private StoredTable(String name, int number, TreePMap<String, ObjectNode> documents,
                        PMap<String, Long> writeTimestamps, long totalSize) {
        this.name = name;
        this.number = number;
        this.documents = documents;
        this.writeTimestamps = writeTimestamps;
        this.totalSize = totalSize;
    }

    static StoredTable empty(String name, int number) {
        return new StoredTable(name, number, TreePMap.empty(), HashTreePMap.empty(), 0);
    }

    StoredTable copy() {
        return new StoredTable(name, number, documents, writeTimestamps, totalSize);
    }

    /** When the document was last written (ns), or 0 if unknown. */
    public long writeTimestamp(String internalIdHex) {
        return writeTimestamps.getOrDefault(internalIdHex, 0L);
    }

    void markWritten(String internalIdHex, long timestamp) {
        writeTimestamps = writeTimestamps.plus(internalIdHex, timestamp);
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
        return documents;
    }

    public int size() {
        return documents.size();
    }

    /** Approximate byte size of the table's documents; exports write the smallest tables first. */
    public long totalSize() {
        return totalSize;
    }

    ObjectNode put(String internalIdHex, ObjectNode document) {
        ObjectNode previous = documents.get(internalIdHex);
        documents = documents.plus(internalIdHex, document);
        totalSize += DocumentSizes.of(document) - (previous == null ? 0 : DocumentSizes.of(previous));
        return previous;
    }

    ObjectNode remove(String internalIdHex) {
        ObjectNode previous = documents.get(internalIdHex);
        documents = documents.minus(internalIdHex);
        writeTimestamps = writeTimestamps.minus(internalIdHex);
        if (previous != null) {
            totalSize -= DocumentSizes.of(previous);
        }
        return previous;
    }
}

package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.pcollections.HashTreePMap;
import org.pcollections.PMap;
import org.pcollections.TreePMap;
import org.pcollections.TreePSet;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Optional;

/**
 * One table as of one snapshot. Documents are keyed by the hex of their 16 internal id bytes:
 * lower-case hex sorts like the unsigned bytes, which is Convex's {@code by_id} order.
 * Instances inside a published {@link DatabaseSnapshot} are never mutated; a transaction copies a
 * table before its first write to it. The maps are persistent, so a copy costs O(1) and a write
 * O(log n), and old snapshots share almost everything with new ones.
 *
 * <p>Secondary indexes ({@link IndexDefinitions}) are persistent sorted sets of (value, id) kept
 * in step with the documents by {@link #put} and {@link #remove}, so every snapshot carries the
 * indexes of exactly its own documents: an index read at an old snapshot sees that snapshot's rows.
 */
public final class StoredTable {
    private final String name;
    private final int number;
    private TreePMap<String, ObjectNode> documents;
    /** Commit timestamp (ns) of each document's latest write: list_snapshot reports it as {@code _ts}. */
    private PMap<String, Long> writeTimestamps;
    private long totalSize;
    /** Indexed field → its (value, id) entries; fields from {@link IndexDefinitions#fieldsOf}. */
    private PMap<String, TreePSet<IndexEntry>> indexes;

    private StoredTable(String name, int number, TreePMap<String, ObjectNode> documents,
                        PMap<String, Long> writeTimestamps, long totalSize, PMap<String, TreePSet<IndexEntry>> indexes) {
        this.name = name;
        this.number = number;
        this.documents = documents;
        this.writeTimestamps = writeTimestamps;
        this.totalSize = totalSize;
        this.indexes = indexes;
    }

    static StoredTable empty(String name, int number) {
        PMap<String, TreePSet<IndexEntry>> indexes = HashTreePMap.empty();
        for (String field : IndexDefinitions.fieldsOf(name)) {
            indexes = indexes.plus(field, TreePSet.empty(IndexEntry.ORDER));
        }
        return new StoredTable(name, number, TreePMap.empty(), HashTreePMap.empty(), 0, indexes);
    }

    StoredTable copy() {
        return new StoredTable(name, number, documents, writeTimestamps, totalSize, indexes);
    }

    /** Whether {@code field} has an index in this table. */
    public boolean isIndexed(String field) {
        return indexes.containsKey(field);
    }

    /**
     * Documents whose {@code field} equals {@code value}, in by_id order; through the index when the
     * field has one (O(log n + matches)), otherwise by a scan.
     */
    public List<ObjectNode> findEqual(String field, JsonNode value) {
        TreePSet<IndexEntry> index = indexes.get(field);
        List<ObjectNode> out = new ArrayList<>();
        if (index == null) {
            for (ObjectNode doc : documents.values()) {
                if (IndexEntry.compareValues(IndexEntry.valueOf(doc, field), value) == 0) {
                    out.add(doc);
                }
            }
            return out;
        }
        for (IndexEntry entry : index.subSet(new IndexEntry(value, IndexEntry.LOWEST_ID), true,
                new IndexEntry(value, IndexEntry.HIGHEST_ID), true)) {
            out.add(documents.get(entry.internalIdHex()));
        }
        return out;
    }

    /** The index of {@code field} in (value, id) order, if the field is indexed. */
    Optional<NavigableSet<IndexEntry>> index(String field) {
        return Optional.ofNullable(indexes.get(field));
    }

    /**
     * Documents whose numeric {@code field} is below {@code bound}, smallest first (ties in by_id
     * order), at most {@code limit}; through the index when the field has one.
     */
    public List<ObjectNode> findNumberBelow(String field, double bound, int limit) {
        TreePSet<IndexEntry> index = indexes.get(field);
        List<ObjectNode> out = new ArrayList<>();
        if (index == null) {
            documents.values().stream()
                    .filter(doc -> doc.path(field).isNumber() && doc.path(field).asDouble() < bound)
                    .sorted(java.util.Comparator.comparingDouble(doc -> doc.path(field).asDouble()))
                    .limit(limit)
                    .forEach(out::add);
            return out;
        }
        // int64 values sort before float64 ones; both are numbers for this comparison.
        for (IndexEntry entry : index) {
            JsonNode value = entry.value();
            if (!value.isNumber()) {
                if (value.isMissingNode() || value.isNull()) {
                    continue;
                }
                break;
            }
            if (value.isFloatingPointNumber() && value.doubleValue() >= bound) {
                break;
            }
            if (value.doubleValue() < bound) {
                out.add(documents.get(entry.internalIdHex()));
            }
        }
        out.sort(java.util.Comparator.comparingDouble(doc -> doc.path(field).asDouble()));
        return out.size() > limit ? new ArrayList<>(out.subList(0, limit)) : out;
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
        reindex(internalIdHex, previous, document);
        totalSize += DocumentSizes.of(document) - (previous == null ? 0 : DocumentSizes.of(previous));
        return previous;
    }

    ObjectNode remove(String internalIdHex) {
        ObjectNode previous = documents.get(internalIdHex);
        documents = documents.minus(internalIdHex);
        writeTimestamps = writeTimestamps.minus(internalIdHex);
        reindex(internalIdHex, previous, null);
        if (previous != null) {
            totalSize -= DocumentSizes.of(previous);
        }
        return previous;
    }

    private void reindex(String internalIdHex, ObjectNode previous, ObjectNode current) {
        if (indexes.isEmpty()) {
            return;
        }
        for (String field : IndexDefinitions.fieldsOf(name)) {
            TreePSet<IndexEntry> index = indexes.get(field);
            JsonNode before = previous == null ? null : IndexEntry.valueOf(previous, field);
            JsonNode after = current == null ? null : IndexEntry.valueOf(current, field);
            if (before != null && after != null && IndexEntry.compareValues(before, after) == 0) {
                continue;
            }
            if (before != null) {
                index = index.minus(new IndexEntry(before, internalIdHex));
            }
            if (after != null) {
                index = index.plus(new IndexEntry(after, internalIdHex));
            }
            indexes = indexes.plus(field, index);
        }
    }
}

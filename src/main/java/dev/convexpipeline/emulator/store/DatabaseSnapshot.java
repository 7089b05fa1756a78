package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexIds;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The whole database at one commit timestamp (ns). Immutable once published. */
public final class DatabaseSnapshot {
    private final long timestamp;
    private final Map<String, StoredTable> tablesByName;
    private final Map<Integer, StoredTable> tablesByNumber;

    DatabaseSnapshot(long timestamp, Map<String, StoredTable> tablesByName) {
        this.timestamp = timestamp;
        this.tablesByName = Collections.unmodifiableMap(new TreeMap<>(tablesByName));
        Map<Integer, StoredTable> byNumber = new TreeMap<>();
        tablesByName.values().forEach(table -> byNumber.put(table.number(), table));
        this.tablesByNumber = Collections.unmodifiableMap(byNumber);
    }

    public long timestamp() {
        return timestamp;
    }

    public Optional<StoredTable> table(String name) {
        return Optional.ofNullable(tablesByName.get(name));
    }

    public Optional<StoredTable> tableByNumber(int number) {
        return Optional.ofNullable(tablesByNumber.get(number));
    }

    /** All tables, system ones included, by name. */
    public Collection<StoredTable> tables() {
        return tablesByName.values();
    }

    /** User tables (not starting with {@code _}) sorted by table number, as {@code _tables} lists them. */
    public List<StoredTable> userTablesByNumber() {
        List<StoredTable> user = new ArrayList<>();
        tablesByNumber.values().stream().filter(table -> !table.isSystem()).forEach(user::add);
        return user;
    }

    public List<ObjectNode> documents(String table) {
        return table(table).map(t -> List.copyOf(t.documents().values())).orElse(List.of());
    }

    /** Looks a document up by its {@code _id}; empty for a malformed ID or a missing document. */
    public Optional<ObjectNode> get(String id) {
        return ConvexIds.tryDecode(id).flatMap(decoded -> tableByNumber(decoded.tableNumber())
                .map(table -> table.documents().get(HexFormat.of().formatHex(decoded.internalId()))));
    }

    Map<String, StoredTable> tablesByName() {
        return tablesByName;
    }
}

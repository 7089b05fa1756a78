package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.convexpipeline.convex.ConvexIds;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A read-write transaction over the latest snapshot. Only one exists at a time (the store's writer
 * lock), so mutations are serializable without conflict detection. Tables are copied on first write.
 */
public final class Transaction implements DatabaseWriter {
    public static final String ID_FIELD = "_id";
    public static final String CREATION_TIME_FIELD = "_creationTime";
    private static final int FIRST_USER_TABLE_NUMBER = 10001;
    private static final HexFormat HEX = HexFormat.of();

    private final DocumentStore store;
    private final DatabaseSnapshot base;
    private final Map<String, StoredTable> tables;
    private final Set<String> copiedTables = new HashSet<>();
    private final List<JournalOp> ops = new ArrayList<>();

    Transaction(DocumentStore store, DatabaseSnapshot base) {
        this.store = store;
        this.base = base;
        this.tables = new HashMap<>(base.tablesByName());
    }

    public DatabaseSnapshot base() {
        return base;
    }

    // ---- reads ---------------------------------------------------------------------------

    @Override
    public ObjectNode get(String id) {
        return locate(id).map(located -> located.table.documents().get(located.internalIdHex)).orElse(null);
    }

    @Override
    public List<ObjectNode> query(String table) {
        StoredTable stored = tables.get(table);
        return stored == null ? List.of() : List.copyOf(stored.documents().values());
    }

    @Override
    public List<ObjectNode> queryByIndex(String table, String field, JsonNode value) {
        StoredTable stored = tables.get(table);
        return stored == null ? List.of() : stored.findEqual(field, value);
    }

    @Override
    public List<ObjectNode> queryBelow(String table, String field, double bound, int limit) {
        StoredTable stored = tables.get(table);
        return stored == null ? List.of() : stored.findNumberBelow(field, bound, limit);
    }

    @Override
    public int count(String table) {
        StoredTable stored = tables.get(table);
        return stored == null ? 0 : stored.size();
    }

    @Override
    public Set<String> tableNames() {
        return Set.copyOf(tables.keySet());
    }

    public Optional<StoredTable> table(String name) {
        return Optional.ofNullable(tables.get(name));
    }

    public Map<String, StoredTable> tables() {
        return Map.copyOf(tables);
    }

    // ---- document writes -----------------------------------------------------------------

    @Override
    public String insert(String table, ObjectNode fields) {
        rejectSystemFields(table, fields);
        StoredTable stored = writable(table, true);
        String id = ConvexIds.generate(stored.number());
        ObjectNode document = JsonNodeFactory.instance.objectNode();
        document.put(CREATION_TIME_FIELD, store.nextCreationTime());
        document.set(ID_FIELD, TextNode.valueOf(id));
        document.setAll(fields);
        put(stored, sorted(document));
        return id;
    }

    /**
     * Inserts a document that already has {@code _id} and/or {@code _creationTime} (imports);
     * missing system fields are generated. The {@code _id} must belong to this table's number.
     */
    public String insertPreservingSystemFields(String table, ObjectNode document) {
        StoredTable stored = writable(table, true);
        ObjectNode copy = document.deepCopy();
        JsonNode id = copy.get(ID_FIELD);
        if (id == null) {
            copy.put(ID_FIELD, ConvexIds.generate(stored.number()));
        }
        JsonNode creationTime = copy.get(CREATION_TIME_FIELD);
        if (creationTime == null) {
            copy.put(CREATION_TIME_FIELD, store.nextCreationTime());
        } else if (creationTime.isFloatingPointNumber() && creationTime.doubleValue() > 0) {
            store.observeCreationTime(creationTime.doubleValue());
        }
        // Any other _creationTime stays as given so DocumentRules refuses it, as Convex does.
        String idText = copy.get(ID_FIELD).asText();
        ConvexIds.DocumentId decoded = ConvexIds.decode(idText);
        if (decoded.tableNumber() != stored.number()) {
            throw new IllegalArgumentException("_id " + idText + " belongs to table number "
                    + decoded.tableNumber() + ", not to '" + table + "' (" + stored.number() + ")");
        }
        put(stored, sorted(copy));
        return idText;
    }

    @Override
    public void patch(String id, ObjectNode fields) {
        Located located = existingFor("Update", id, fields);
        StoredTable stored = writable(located.table.name(), false);
        ObjectNode updated = stored.documents().get(located.internalIdHex).deepCopy();
        updated.setAll(fields);
        put(stored, sorted(updated));
    }

    @Override
    public void replace(String id, ObjectNode fields) {
        Located located = existingFor("Replace", id, fields);
        StoredTable stored = writable(located.table.name(), false);
        ObjectNode previous = stored.documents().get(located.internalIdHex);
        ObjectNode replacement = JsonNodeFactory.instance.objectNode();
        replacement.set(ID_FIELD, previous.get(ID_FIELD));
        replacement.set(CREATION_TIME_FIELD, previous.get(CREATION_TIME_FIELD));
        replacement.setAll(fields);
        put(stored, sorted(replacement));
    }

    @Override
    public void delete(String id) {
        Located located = locate(id).filter(l -> l.table.documents().containsKey(l.internalIdHex))
                .orElseThrow(() -> new IllegalArgumentException("Delete on nonexistent document ID " + id));
        StoredTable stored = writable(located.table.name(), false);
        stored.remove(located.internalIdHex);
        ops.add(new JournalOp.Delete(stored.name(), located.internalIdHex));
    }

    // ---- table operations (imports) ------------------------------------------------------

    /** Drops a table and all its documents; its number becomes free. */
    public void dropTable(String name) {
        if (tables.remove(name) != null) {
            copiedTables.remove(name);
            ops.add(new JournalOp.DropTable(name));
        }
    }

    /** Creates an empty table with the given number, failing if the name or number is taken. */
    public void createTable(String name, int number) {
        if (tables.containsKey(name)) {
            throw new IllegalStateException("Table " + name + " already exists");
        }
        if (isNumberTaken(number)) {
            throw new IllegalStateException("Table number " + number + " is already used");
        }
        tables.put(name, StoredTable.empty(name, number));
        copiedTables.add(name);
        ops.add(new JournalOp.CreateTable(name, number));
    }

    public boolean isNumberTaken(int number) {
        return tables.values().stream().anyMatch(table -> table.number() == number);
    }

    /** The number a new table would get: user tables count up from 10001, system tables from 1. */
    public int nextFreeTableNumber(String name) {
        boolean system = name.startsWith("_");
        int candidate = system ? 1 : FIRST_USER_TABLE_NUMBER;
        for (StoredTable table : tables.values()) {
            boolean sameKind = system ? table.number() < FIRST_USER_TABLE_NUMBER : table.number() >= FIRST_USER_TABLE_NUMBER;
            if (sameKind && table.number() >= candidate) {
                candidate = table.number() + 1;
            }
        }
        return candidate;
    }

    // ---- internals -----------------------------------------------------------------------

    /** Roughly what keeping this commit's snapshot costs: the tree nodes its writes replaced. */
    long retainedCost() {
        return ops.size();
    }

    boolean hasWrites() {
        return !ops.isEmpty();
    }

    List<JournalOp> ops() {
        return ops;
    }

    Map<String, StoredTable> workingTables() {
        return tables;
    }

    /** Every stored document passes Convex's rules here, before it can become a journal op. */
    private void put(StoredTable table, ObjectNode document) {
        DocumentRules.check(document);
        String internalIdHex = HEX.formatHex(ConvexIds.decode(document.get(ID_FIELD).asText()).internalId());
        table.put(internalIdHex, document);
        ops.add(new JournalOp.Put(table.name(), internalIdHex, document));
    }

    private StoredTable writable(String name, boolean createIfMissing) {
        StoredTable table = tables.get(name);
        if (table == null) {
            if (!createIfMissing) {
                throw new IllegalArgumentException("Table " + name + " does not exist");
            }
            createTable(name, nextFreeTableNumber(name));
            return tables.get(name);
        }
        if (copiedTables.add(name)) {
            table = table.copy();
            tables.put(name, table);
        }
        return table;
    }

    private Optional<Located> locate(String id) {
        Optional<ConvexIds.DocumentId> maybeDecoded = ConvexIds.tryDecode(id);
        if (maybeDecoded.isEmpty()) {
            return Optional.empty();
        }
        ConvexIds.DocumentId decoded = maybeDecoded.get();
        for (StoredTable table : tables.values()) {
            if (table.number() == decoded.tableNumber()) {
                return Optional.of(new Located(table, HEX.formatHex(decoded.internalId())));
            }
        }
        return Optional.empty();
    }

    /** The stored document {@code id} names, to be given {@code fields}; the backend's error when there is none. */
    private Located existingFor(String operation, String id, ObjectNode fields) {
        Located located = locate(id).filter(l -> l.table.documents().containsKey(l.internalIdHex))
                .orElseThrow(() -> new IllegalArgumentException(operation + " on nonexistent document ID " + id));
        rejectSystemFields(located.table.name(), fields);
        return located;
    }

    private static void rejectSystemFields(String table, ObjectNode fields) {
        for (Iterator<String> names = fields.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (name.startsWith("_")) {
                throw new IllegalArgumentException("Field '" + name + "' for table '" + table
                        + "' starts with '_', which is reserved for system fields");
            }
        }
    }

    /** Convex objects keep their fields in sorted order (BTreeMap). */
    static ObjectNode sorted(ObjectNode document) {
        TreeMap<String, JsonNode> fields = new TreeMap<>();
        document.fields().forEachRemaining(field -> fields.put(field.getKey(), field.getValue()));
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        fields.forEach(out::set);
        return out;
    }

    private record Located(StoredTable table, String internalIdHex) {
    }
}

package dev.convexpipeline.emulator.store;

import dev.convexpipeline.convex.ConvexIds;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reduces a transaction's ops to the final state of each touched user document, in the order of
 * their last write, which is what document_deltas reports for one commit.
 */
final class ChangeSummary {
    private ChangeSummary() {
    }

    static List<DocumentChange> of(Transaction transaction) {
        Map<String, DocumentChange> changes = new LinkedHashMap<>();
        for (JournalOp op : transaction.ops()) {
            if (op instanceof JournalOp.Put put && !isSystem(put.table())) {
                record(changes, put.table(), put.internalIdHex(),
                        new DocumentChange(put.table(), put.document().get(Transaction.ID_FIELD).asText(), put.document()));
            } else if (op instanceof JournalOp.Delete delete && !isSystem(delete.table())) {
                StoredTable table = transaction.workingTables().get(delete.table());
                String id = ConvexIds.encode(table.number(), HexFormat.of().parseHex(delete.internalIdHex()));
                record(changes, delete.table(), delete.internalIdHex(), new DocumentChange(delete.table(), id, null));
            } else if (op instanceof JournalOp.DropTable drop && !isSystem(drop.table())) {
                changes.keySet().removeIf(key -> key.startsWith(drop.table() + "/"));
                transaction.base().table(drop.table()).ifPresent(table -> table.documents().forEach((hex, doc) ->
                        record(changes, drop.table(), hex, new DocumentChange(drop.table(),
                                doc.get(Transaction.ID_FIELD).asText(), null))));
            }
        }
        return new ArrayList<>(changes.values());
    }

    private static void record(Map<String, DocumentChange> changes, String table, String hex, DocumentChange change) {
        String key = table + "/" + hex;
        changes.remove(key);
        changes.put(key, change);
    }

    private static boolean isSystem(String table) {
        return table.startsWith("_");
    }

}

package dev.convexpipeline.migration;

import java.util.List;

/**
 * One table of a migration: what preflight planned and what verify found.
 *
 * @param action           what the mode does to the target table: create, append, replace, delete, refuse
 * @param snapshotDocuments documents of the table in the snapshot
 * @param targetBefore     documents in the target table before the import (-1 when not read)
 * @param targetAfter      documents read back from the target by verify (-1 before verify)
 * @param status           {@code ok} or {@code different} after verify, else null
 * @param differingIds     the first ids that differ (missing, extra or changed), at most a few
 */
public record TableReport(String table, String action, long snapshotDocuments, long targetBefore, long targetAfter,
                          String status, List<String> differingIds) {

    public TableReport withVerify(long after, boolean ok, List<String> ids) {
        return new TableReport(table, action, snapshotDocuments, targetBefore, after, ok ? "ok" : "different",
                List.copyOf(ids));
    }
}

package dev.convexpipeline.migration;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The JSON operators and machines read for a migration (CLI --json and the admin API share it). */
final class MigrationView {
    private MigrationView() {
    }

    static Map<String, Object> of(MigrationJournal journal) {
        Map<String, Object> view = summary(journal);
        Map<String, Object> progress = new LinkedHashMap<>();
        progress.put("bytesSent", journal.bytesSent());
        progress.put("bytesTotal", journal.bytesTotal());
        progress.put("partsSent", journal.partsSent());
        progress.put("importState", journal.progress());
        progress.put("documentsWritten", journal.documentsWritten());
        view.put("progress", progress);
        view.put("mode", journal.mode());
        view.put("tables", journal.tables());
        view.put("importId", journal.importId());
        view.put("rollbackPoint", journal.rollbackPoint());
        view.put("sourcePaused", journal.sourcePaused());
        view.put("report", journal.report());
        view.put("error", journal.error());
        view.put("steps", journal.steps());
        return view;
    }

    static Map<String, Object> summary(MigrationJournal journal) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", journal.id());
        view.put("status", journal.status().name().toLowerCase(Locale.ROOT));
        view.put("source", journal.source());
        view.put("target", journal.target());
        view.put("targetInstance", journal.targetInstance());
        Map<String, Object> snapshot = new LinkedHashMap<>();
        if (journal.snapshot() != null) {
            snapshot.put("instance", journal.snapshot().instance());
            snapshot.put("backupId", journal.snapshot().backupId());
            snapshot.put("bytes", journal.snapshot().bytes());
            snapshot.put("sha256", journal.snapshot().sha256());
        }
        view.put("snapshot", journal.snapshot() == null ? null : snapshot);
        view.put("createdAt", journal.createdAt());
        view.put("updatedAt", journal.updatedAt());
        return view;
    }
}

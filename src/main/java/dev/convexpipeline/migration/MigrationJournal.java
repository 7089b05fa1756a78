package dev.convexpipeline.migration;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * The journal of one migration, kept in the backup storage beside the backups so it survives the
 * process and the machine. Written after every step; holds no secret (no admin key).
 *
 * @param source        what --from named: a backup id, {@code latest}, a ZIP path or a deployment URL
 * @param sourceKind    backup, zip or deployment
 * @param tables        the tables to migrate, empty for all
 * @param importId      the target's {@code _snapshot_imports} id once the upload finished
 * @param sourcePaused  this migration paused the source (rollback and abort unpause it)
 * @param rollbackPoint backup id of the target taken before a destructive import
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MigrationJournal(String id, MigrationStatus status, String source, String sourceKind, String sourceUrl,
                               String target, String targetInstance, String mode, List<String> tables,
                               SnapshotRecord snapshot, String rollbackPoint, String rollbackPointInstance,
                               boolean sourcePaused, String importId, long bytesSent, long bytesTotal, int partsSent,
                               long documentsWritten, String progress, List<TableReport> report, String error,
                               String createdAt, String updatedAt, List<String> steps) {

    public MigrationJournal with(MigrationStatus newStatus) {
        return new MigrationJournal(id, newStatus, source, sourceKind, sourceUrl, target, targetInstance, mode, tables,
                snapshot, rollbackPoint, rollbackPointInstance, sourcePaused, importId, bytesSent, bytesTotal, partsSent,
                documentsWritten, progress, report, error, createdAt, updatedAt, steps);
    }

    public MigrationJournal withSnapshot(SnapshotRecord record) {
        return new MigrationJournal(id, status, source, sourceKind, sourceUrl, target, targetInstance, mode, tables,
                record, rollbackPoint, rollbackPointInstance, sourcePaused, importId, bytesSent,
                record == null ? bytesTotal : record.bytes(), partsSent, documentsWritten, progress, report, error,
                createdAt, updatedAt, steps);
    }

    public MigrationJournal withRollbackPoint(String instance, String backupId) {
        return new MigrationJournal(id, status, source, sourceKind, sourceUrl, target, targetInstance, mode, tables,
                snapshot, backupId, instance, sourcePaused, importId, bytesSent, bytesTotal, partsSent,
                documentsWritten, progress, report, error, createdAt, updatedAt, steps);
    }

    public MigrationJournal withSourcePaused(boolean paused) {
        return new MigrationJournal(id, status, source, sourceKind, sourceUrl, target, targetInstance, mode, tables,
                snapshot, rollbackPoint, rollbackPointInstance, paused, importId, bytesSent, bytesTotal, partsSent,
                documentsWritten, progress, report, error, createdAt, updatedAt, steps);
    }

    public MigrationJournal withImport(String newImportId, long sent, int parts) {
        return new MigrationJournal(id, status, source, sourceKind, sourceUrl, target, targetInstance, mode, tables,
                snapshot, rollbackPoint, rollbackPointInstance, sourcePaused, newImportId, sent, bytesTotal, parts,
                documentsWritten, progress, report, error, createdAt, updatedAt, steps);
    }

    public MigrationJournal withProgress(String message, long written) {
        return new MigrationJournal(id, status, source, sourceKind, sourceUrl, target, targetInstance, mode, tables,
                snapshot, rollbackPoint, rollbackPointInstance, sourcePaused, importId, bytesSent, bytesTotal, partsSent,
                written, message, report, error, createdAt, updatedAt, steps);
    }

    public MigrationJournal withReport(List<TableReport> tablesReport) {
        return new MigrationJournal(id, status, source, sourceKind, sourceUrl, target, targetInstance, mode, tables,
                snapshot, rollbackPoint, rollbackPointInstance, sourcePaused, importId, bytesSent, bytesTotal, partsSent,
                documentsWritten, progress, List.copyOf(tablesReport), error, createdAt, updatedAt, steps);
    }

    public MigrationJournal withError(String message) {
        return new MigrationJournal(id, status, source, sourceKind, sourceUrl, target, targetInstance, mode, tables,
                snapshot, rollbackPoint, rollbackPointInstance, sourcePaused, importId, bytesSent, bytesTotal, partsSent,
                documentsWritten, progress, report, message, createdAt, updatedAt, steps);
    }

    /** Appends a line to the step log and stamps the update time. */
    public MigrationJournal step(String line, String now) {
        List<String> more = new java.util.ArrayList<>(steps == null ? List.of() : steps);
        if (line != null) {
            more.add(now + " " + line);
        }
        return new MigrationJournal(id, status, source, sourceKind, sourceUrl, target, targetInstance, mode, tables,
                snapshot, rollbackPoint, rollbackPointInstance, sourcePaused, importId, bytesSent, bytesTotal, partsSent,
                documentsWritten, progress, report, error, createdAt, now, List.copyOf(more));
    }
}

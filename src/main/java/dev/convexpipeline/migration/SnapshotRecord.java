package dev.convexpipeline.migration;

import java.util.Map;

/**
 * The snapshot a migration replays: a backup in the catalog (the source's own backup, a stored
 * copy of a local ZIP, or the export of a live source), identified by its instance folder and id.
 *
 * @param tables documents and digest per table, from the backup manifest
 */
public record SnapshotRecord(String instance, String backupId, String zipKey, long bytes, String sha256,
                             Map<String, Table> tables) {
    public record Table(long documents, String digest) {
    }
}

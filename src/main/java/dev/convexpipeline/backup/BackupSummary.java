package dev.convexpipeline.backup;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One line of {@code backup list} (table and {@code --json}) and of the admin API's list.
 *
 * @param id            backup id (snapshot timestamp in ns)
 * @param snapshotTime  ISO-8601 UTC
 * @param bytes         ZIP size
 * @param tables        user tables
 * @param documents     documents in user tables
 * @param fileStorage   file storage included
 * @param pinned        never pruned
 * @param verified      {@code ok}, {@code failed} or {@code never}
 * @param verifiedAt    when the last verify ran
 * @param sha256        ZIP SHA-256
 * @param zipKey        ZIP object key below the target
 * @param problem       why the manifest could not be read, if so
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupSummary(String id, String snapshotTime, long bytes, long tables, long documents, boolean fileStorage,
                            boolean pinned, String verified, String verifiedAt, String sha256, String zipKey,
                            String problem) {

    static BackupSummary of(BackupEntry entry, BackupTarget target) {
        BackupManifest m = entry.manifest();
        String verified = entry.verification() == null ? "never" : entry.verification().ok() ? "ok" : "failed";
        String problem = entry.problem() != null ? entry.problem() : entry.zipPresent() ? null : "ZIP is missing";
        return new BackupSummary(entry.id(), entry.snapshotTime().toString(), m == null ? 0 : m.zip().bytes(),
                m == null ? 0 : m.userTables(), m == null ? 0 : m.documents(), m != null && m.includesFileStorage(),
                entry.pinned(), verified, entry.verification() == null ? null : entry.verification().verifiedAt(),
                m == null ? null : m.zip().sha256(), target.location(entry.zipKey()), problem);
    }
}

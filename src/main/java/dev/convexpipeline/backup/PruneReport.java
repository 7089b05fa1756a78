package dev.convexpipeline.backup;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Result of {@code backup prune}.
 *
 * @param dryRun     nothing was deleted
 * @param decisions  every backup with keep/delete and the reason
 * @param incomplete leftovers of failed or killed runs (ZIPs without manifest, partial files) removed or to remove
 */
public record PruneReport(boolean dryRun, List<RetentionPolicy.Decision> decisions, List<String> incomplete) {
    public long deleted() {
        return decisions.stream().filter(RetentionPolicy.Decision::delete).count();
    }

    /**
     * The one JSON shape of a prune, for {@code backup prune --json} and {@code POST /admin/backup/prune}:
     * {@code dryRun}, {@code delete} and {@code keep} (id, snapshotTime, reason), {@code incomplete},
     * {@code changeLog} (the change-log objects removed or to remove with the backups).
     */
    public Map<String, Object> toJson(List<String> changeLog) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("dryRun", dryRun);
        result.put("delete", backups(true));
        result.put("keep", backups(false));
        result.put("incomplete", incomplete);
        result.put("changeLog", changeLog);
        return result;
    }

    private List<Map<String, String>> backups(boolean deleted) {
        return decisions.stream().filter(d -> d.delete() == deleted)
                .map(d -> Map.of("id", d.backup().id(), "snapshotTime", d.backup().snapshotTime().toString(),
                        "reason", d.reason()))
                .toList();
    }
}

package dev.convexpipeline.backup;

import java.util.List;

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
}

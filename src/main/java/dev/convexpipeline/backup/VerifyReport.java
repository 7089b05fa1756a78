package dev.convexpipeline.backup;

import java.util.List;

/**
 * Result of {@code backup verify}.
 *
 * @param id          backup id
 * @param ok          no difference found
 * @param differences every difference, in check order (size, SHA-256, ZIP structure and JSONL lines, tables)
 * @param bytes       bytes read
 * @param sha256      SHA-256 of what was read
 * @param tables      tables checked
 * @param documents   user documents read
 * @param millis      time taken
 */
public record VerifyReport(String id, boolean ok, List<String> differences, long bytes, String sha256, int tables,
                           long documents, long millis) {
    public String firstDifference() {
        return differences.isEmpty() ? null : differences.get(0);
    }
}

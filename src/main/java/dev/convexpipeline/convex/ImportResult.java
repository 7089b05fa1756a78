package dev.convexpipeline.convex;

/**
 * A completed import.
 *
 * @param importId       the {@code _snapshot_imports} document id
 * @param numRowsWritten documents written, as reported by the server
 */
public record ImportResult(String importId, long numRowsWritten) {
}

package dev.convexpipeline.convex;

/**
 * An export this client requested. Remembers which export was the newest before the request, so
 * waiting never mistakes an older completed export for the new one.
 *
 * @param previousExportId id of the newest export before the request, or {@code null} if there was none
 */
public record PendingExport(String previousExportId) {
}

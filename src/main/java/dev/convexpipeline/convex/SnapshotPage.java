package dev.convexpipeline.convex;

import java.util.List;

/**
 * One page of {@code /api/list_snapshot}.
 *
 * @param documents decoded documents of this page
 * @param snapshot  the pinned snapshot timestamp; send it back for the next page
 * @param cursor    opaque position; send it back for the next page ({@code null} at the end)
 * @param hasMore   whether another page follows
 */
public record SnapshotPage(List<SnapshotDocument> documents, long snapshot, String cursor, boolean hasMore) {
}

package dev.convexpipeline.convex;

import java.util.List;

/**
 * One page of {@code /api/document_deltas}.
 *
 * @param deltas  changes in commit order
 * @param cursor  send it back for the next page; when {@code hasMore} is false, every change up to
 *                this timestamp has been returned
 * @param hasMore whether more changes are waiting right now
 */
public record DocumentDeltasPage(List<DocumentDelta> deltas, long cursor, boolean hasMore) {
}

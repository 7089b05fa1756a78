package dev.convexpipeline.pitr;

import dev.convexpipeline.convex.DocumentDeltasPage;

/** Where changes come from: {@code ConvexClient::documentDeltasPage} in production. */
@FunctionalInterface
public interface ChangeSource {
    /** Changes committed after {@code cursor}; throws ConvexOutOfRetentionException when they are gone. */
    DocumentDeltasPage page(long cursor);
}

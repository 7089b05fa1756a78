package dev.convexpipeline.convex;

/**
 * The deployment answered {@code OutOfRetention}: it no longer keeps the history asked for (a
 * {@code document_deltas} cursor or snapshot older than its retention). Never retried.
 */
public class ConvexOutOfRetentionException extends ConvexRequestException {
    public ConvexOutOfRetentionException(String operation, int status, String serverMessage) {
        super(operation, status, "OutOfRetention", serverMessage);
    }
}

package dev.convexpipeline.convex;

/**
 * A snapshot export or import reached a state it cannot finish from: the export or import
 * {@code failed}, was canceled, needs a confirmation the caller did not give, or did not finish
 * within the caller's timeout.
 */
public class ConvexSnapshotException extends ConvexException {
    public ConvexSnapshotException(String message) {
        super(message);
    }
}

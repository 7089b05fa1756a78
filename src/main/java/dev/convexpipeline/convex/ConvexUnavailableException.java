package dev.convexpipeline.convex;

/**
 * The deployment could not be reached or kept failing (5xx, 429, timeouts, refused connections)
 * until the retry policy ran out of attempts. The cause is the last failure seen.
 */
public class ConvexUnavailableException extends ConvexException {
    private final int attempts;

    public ConvexUnavailableException(String message, int attempts, Throwable lastCause) {
        super(message, lastCause);
        this.attempts = attempts;
    }

    public int attempts() {
        return attempts;
    }
}

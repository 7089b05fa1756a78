package dev.convexpipeline.convex;

/**
 * Base of every failure raised by {@link ConvexClient}, so a route can handle "anything Convex" in
 * one clause and the specific cases (auth, bad request, unavailable, function error) where it
 * matters. Unchecked because Camel processors and streams cannot declare checked exceptions.
 *
 * <p>Messages never contain the admin key.
 */
public class ConvexException extends RuntimeException {
    public ConvexException(String message) {
        super(message);
    }

    public ConvexException(String message, Throwable cause) {
        super(message, cause);
    }
}

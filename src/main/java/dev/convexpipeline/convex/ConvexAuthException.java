package dev.convexpipeline.convex;

/**
 * The deployment rejected the admin key (HTTP 401/403). Never retried: the same key will be
 * rejected again, and hammering an auth endpoint helps nobody.
 */
public class ConvexAuthException extends ConvexException {
    private final int status;
    private final String code;

    public ConvexAuthException(String operation, int status, String code, String serverMessage) {
        super(operation + " was refused with HTTP " + status + " " + code + ": " + serverMessage
                + " (the admin key is missing or wrong for this deployment; check CONVEX admin key configuration)");
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    /** The server's short code, e.g. {@code BadAdminKey} or {@code BadDeployKey}. */
    public String code() {
        return code;
    }
}

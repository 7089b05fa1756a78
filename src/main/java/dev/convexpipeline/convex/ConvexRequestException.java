package dev.convexpipeline.convex;

/**
 * The deployment answered with a 4xx other than 401/403/429: the request itself is wrong (bad
 * arguments, wrong state, unknown id). Not retried, because repeating it cannot succeed.
 */
public class ConvexRequestException extends ConvexException {
    private final int status;
    private final String code;
    private final String serverMessage;

    public ConvexRequestException(String operation, int status, String code, String serverMessage) {
        this(status, code, serverMessage,
                operation + " was rejected with HTTP " + status + " " + code + ": " + serverMessage);
    }

    /** For subclasses that explain the failure in their own words. */
    protected ConvexRequestException(int status, String code, String serverMessage, String message) {
        super(message);
        this.status = status;
        this.code = code;
        this.serverMessage = serverMessage;
    }

    public int status() {
        return status;
    }

    /** The server's short error code ({@code BadJsonBody}, {@code ExportInProgress}, …). */
    public String code() {
        return code;
    }

    public String serverMessage() {
        return serverMessage;
    }
}

package dev.convexpipeline.emulator.http;

/** A non-function error, sent as {@code {"code","message"}} with an HTTP status (docs/convex-wire.md §7). */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public static ApiException badRequest(String code, String message) {
        return new ApiException(400, code, message);
    }

    public static ApiException badJsonBody(String message) {
        return badRequest("BadJsonBody", message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}

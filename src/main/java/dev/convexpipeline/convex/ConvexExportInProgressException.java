package dev.convexpipeline.convex;

/**
 * A snapshot export was requested while another one is still requested or running (HTTP 400
 * {@code ExportInProgress}). A separate type because the right reaction differs from other bad
 * requests: wait for the running export (or cancel it) and try again later.
 */
public class ConvexExportInProgressException extends ConvexRequestException {
    public ConvexExportInProgressException(String deployment, int status, String code, String serverMessage) {
        super(status, code, serverMessage, "Cannot start a snapshot export on " + deployment + ": another export is already requested or"
                + " in progress (" + code + ": " + serverMessage + "); wait for it to finish or cancel it, then retry");
    }
}

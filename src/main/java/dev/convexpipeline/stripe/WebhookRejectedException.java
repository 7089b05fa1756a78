package dev.convexpipeline.stripe;

/**
 * A webhook request that is not a valid, signed Stripe event: answered with {@link #status()}
 * (400 or 413) and a short reason, and nothing is stored. Never carries the secret or the payload.
 */
public class WebhookRejectedException extends RuntimeException {
    private final int status;
    private final String reasonCode;

    public WebhookRejectedException(int status, String reasonCode, String message) {
        super(message, null, false, false);
        this.status = status;
        this.reasonCode = reasonCode;
    }

    public int status() {
        return status;
    }

    /** Short machine-readable reason, e.g. {@code signature_mismatch}, {@code body_too_large}. */
    public String reasonCode() {
        return reasonCode;
    }
}

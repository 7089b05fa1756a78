package dev.convexpipeline.stripe;

/** The {@code Stripe-Signature} header does not prove the body came from Stripe (HTTP 400). */
public final class SignatureVerificationException extends WebhookRejectedException {
    private final SignatureFailure failure;

    public SignatureVerificationException(SignatureFailure failure) {
        super(400, failure.label(), failure.description());
        this.failure = failure;
    }

    public SignatureFailure failure() {
        return failure;
    }
}

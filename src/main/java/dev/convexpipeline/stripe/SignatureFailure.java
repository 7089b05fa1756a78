package dev.convexpipeline.stripe;

/** Why a {@code Stripe-Signature} check failed; the name is the metric label and the client-visible reason. */
public enum SignatureFailure {
    MISSING_HEADER("missing Stripe-Signature header"),
    MALFORMED_HEADER("malformed Stripe-Signature header"),
    NO_V1_SIGNATURE("no v1 signature in Stripe-Signature header"),
    TIMESTAMP_TOO_OLD("timestamp outside the tolerance (too old)"),
    TIMESTAMP_IN_FUTURE("timestamp outside the tolerance (in the future)"),
    SIGNATURE_MISMATCH("no v1 signature matches a configured secret"),
    NOT_CONFIGURED("no webhook secret configured");

    private final String description;

    SignatureFailure(String description) {
        this.description = description;
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public String description() {
        return description;
    }
}

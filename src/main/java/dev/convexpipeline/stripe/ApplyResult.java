package dev.convexpipeline.stripe;

/**
 * What {@code stripe:applyEvent} did with one event.
 *
 * @param outcome {@code applied}, {@code duplicate}, {@code stale}, {@code ignored}, {@code unmatched} or {@code failed}
 * @param reason  why, for everything but a plain {@code applied}; may be null
 */
public record ApplyResult(String outcome, String reason) {
    public static final String APPLIED = "applied";
    public static final String DUPLICATE = "duplicate";

    /** Unmatched, failed, or applied with prices that map to no tier. */
    public boolean needsAttention() {
        return "unmatched".equals(outcome) || "failed".equals(outcome)
                || (APPLIED.equals(outcome) && reason != null && reason.startsWith("unmapped"));
    }

    public boolean isDuplicate() {
        return DUPLICATE.equals(outcome);
    }
}

package dev.convexpipeline.stripe;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Checks Stripe's {@code Stripe-Signature} header (scheme {@code v1}) over the raw request body.
 *
 * <p>Written here rather than taken from stripe-java because {@code Webhook.Signature.verifyHeader}
 * checks one secret at a time and only the timestamp's age: it accepts timestamps from the future
 * and would need one call (and one exception) per rotated secret. This verifier:
 * <ul>
 *   <li>accepts several secrets (rotation: Stripe sends one {@code v1} per active secret) and passes
 *       when any {@code v1} matches any secret;</li>
 *   <li>ignores {@code v0} (a test-mode placeholder): a header with only {@code v0} fails, so a
 *       downgrade cannot bypass the check;</li>
 *   <li>rejects timestamps older than the tolerance <em>and</em> further in the future than it;</li>
 *   <li>compares every candidate in constant time ({@link MessageDigest#isEqual}) and does not stop at
 *       the first match, so timing tells nothing about which secret or which signature matched.</li>
 * </ul>
 * The HMAC key is the whole {@code whsec_...} string as UTF-8 (not base64-decoded), the message is
 * {@code "<t>." + body}, exactly as Stripe signs it. Secrets never appear in messages or {@link #toString()}.
 */
public final class WebhookSignatureVerifier {
    /** Bounds the work an unauthenticated request can cause; real headers are ~150 bytes per secret. */
    static final int MAX_HEADER_LENGTH = 4096;
    static final int MAX_V1_SIGNATURES = 8;
    private static final int SIGNATURE_BYTES = 32;
    private static final HexFormat HEX = HexFormat.of();

    private final List<byte[]> secrets;
    private final long toleranceSeconds;
    private final Clock clock;
    private final ThreadLocal<Mac[]> macs;

    public WebhookSignatureVerifier(List<String> secrets, Duration tolerance, Clock clock) {
        List<byte[]> keys = new ArrayList<>();
        for (String secret : secrets) {
            if (secret != null && !secret.isBlank()) {
                keys.add(secret.trim().getBytes(StandardCharsets.UTF_8));
            }
        }
        if (tolerance.isNegative() || tolerance.isZero()) {
            throw new IllegalArgumentException("Stripe signature tolerance must be positive, got " + tolerance);
        }
        this.secrets = List.copyOf(keys);
        this.toleranceSeconds = tolerance.toSeconds();
        this.clock = clock;
        // Mac objects are not thread-safe and costly to create; one set per worker thread.
        this.macs = ThreadLocal.withInitial(this::newMacs);
    }

    /** {@code STRIPE_WEBHOOK_SECRET}'s form: one secret, or several separated by commas during a rotation. */
    public static WebhookSignatureVerifier fromConfig(String commaSeparatedSecrets, Duration tolerance) {
        List<String> secrets = commaSeparatedSecrets == null ? List.of() : Arrays.asList(commaSeparatedSecrets.split(","));
        return new WebhookSignatureVerifier(secrets, tolerance, Clock.systemUTC());
    }

    public boolean isConfigured() {
        return !secrets.isEmpty();
    }

    public int secretCount() {
        return secrets.size();
    }

    /**
     * Verifies {@code header} for {@code body}; returns the signed timestamp (Unix seconds).
     *
     * @throws SignatureVerificationException with the reason when the request must be rejected
     */
    public long verify(byte[] body, String header) {
        if (secrets.isEmpty()) {
            throw new SignatureVerificationException(SignatureFailure.NOT_CONFIGURED);
        }
        ParsedHeader parsed = parse(header);
        long now = clock.instant().getEpochSecond();
        if (parsed.timestamp < now - toleranceSeconds) {
            throw new SignatureVerificationException(SignatureFailure.TIMESTAMP_TOO_OLD);
        }
        if (parsed.timestamp > now + toleranceSeconds) {
            throw new SignatureVerificationException(SignatureFailure.TIMESTAMP_IN_FUTURE);
        }
        byte[] prefix = (parsed.timestamp + ".").getBytes(StandardCharsets.US_ASCII);
        boolean matched = false;
        for (Mac mac : macs.get()) {
            mac.update(prefix);
            mac.update(body);
            byte[] expected = mac.doFinal();
            for (byte[] candidate : parsed.v1) {
                // Non-short-circuit OR: every comparison runs whatever the earlier ones returned.
                matched |= MessageDigest.isEqual(expected, candidate);
            }
        }
        if (!matched) {
            throw new SignatureVerificationException(SignatureFailure.SIGNATURE_MISMATCH);
        }
        return parsed.timestamp;
    }

    private record ParsedHeader(long timestamp, List<byte[]> v1) {
    }

    private static ParsedHeader parse(String header) {
        if (header == null || header.isBlank()) {
            throw new SignatureVerificationException(SignatureFailure.MISSING_HEADER);
        }
        if (header.length() > MAX_HEADER_LENGTH) {
            throw new SignatureVerificationException(SignatureFailure.MALFORMED_HEADER);
        }
        Long timestamp = null;
        boolean sawV1 = false;
        List<byte[]> v1 = new ArrayList<>();
        for (String item : header.split(",")) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new SignatureVerificationException(SignatureFailure.MALFORMED_HEADER);
            }
            String key = item.substring(0, eq).trim();
            String value = item.substring(eq + 1).trim();
            switch (key) {
                case "t" -> {
                    if (timestamp != null || !value.matches("[0-9]{1,12}")) {
                        throw new SignatureVerificationException(SignatureFailure.MALFORMED_HEADER);
                    }
                    timestamp = Long.parseLong(value);
                }
                case "v1" -> {
                    sawV1 = true;
                    if (v1.size() >= MAX_V1_SIGNATURES) {
                        throw new SignatureVerificationException(SignatureFailure.MALFORMED_HEADER);
                    }
                    // A v1 that is not 64 hex digits can never match; keep it out of the comparison.
                    if (value.length() == SIGNATURE_BYTES * 2 && isHex(value)) {
                        v1.add(HEX.parseHex(value.toLowerCase(java.util.Locale.ROOT)));
                    }
                }
                default -> {
                    // v0 and future schemes are not evidence of authenticity.
                }
            }
        }
        if (timestamp == null) {
            throw new SignatureVerificationException(SignatureFailure.MALFORMED_HEADER);
        }
        if (!sawV1) {
            throw new SignatureVerificationException(SignatureFailure.NO_V1_SIGNATURE);
        }
        if (v1.isEmpty()) {
            throw new SignatureVerificationException(SignatureFailure.SIGNATURE_MISMATCH);
        }
        return new ParsedHeader(timestamp, v1);
    }

    private static boolean isHex(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (Character.digit(value.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private Mac[] newMacs() {
        Mac[] result = new Mac[secrets.size()];
        try {
            for (int i = 0; i < result.length; i++) {
                result[i] = Mac.getInstance("HmacSHA256");
                result[i].init(new SecretKeySpec(secrets.get(i), "HmacSHA256"));
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
        }
        return result;
    }

    @Override
    public String toString() {
        return "WebhookSignatureVerifier[secrets=" + secrets.size() + " (redacted), toleranceSeconds=" + toleranceSeconds + "]";
    }
}

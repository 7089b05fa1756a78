package dev.convexpipeline.stripe;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Signs bodies the way Stripe does (docs/stripe-notes.md §1), written independently of
 * {@link WebhookSignatureVerifier} so tests do not check the verifier against itself.
 */
public final class StripeTestSigner {
    private StripeTestSigner() {
    }

    /** Lower-case hex HMAC-SHA256 of {@code "<t>.<body>"} keyed with the whole secret string. */
    public static String v1(String secret, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] prefix = (timestamp + ".").getBytes(StandardCharsets.UTF_8);
            byte[] message = new byte[prefix.length + body.length];
            System.arraycopy(prefix, 0, message, 0, prefix.length);
            System.arraycopy(body, 0, message, prefix.length, body.length);
            return HexFormat.of().formatHex(mac.doFinal(message));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A {@code Stripe-Signature} header with one {@code v1} per secret, as Stripe sends during a rotation. */
    public static String header(long timestamp, byte[] body, String... secrets) {
        StringBuilder header = new StringBuilder("t=").append(timestamp);
        for (String secret : secrets) {
            header.append(",v1=").append(v1(secret, timestamp, body));
        }
        return header.toString();
    }

    public static String header(byte[] body, String... secrets) {
        return header(System.currentTimeMillis() / 1000, body, secrets);
    }
}

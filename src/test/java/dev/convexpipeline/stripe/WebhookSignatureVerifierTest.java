package dev.convexpipeline.stripe;

import com.stripe.net.Webhook;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WebhookSignatureVerifierTest {
    private static final String SECRET = "whsec_test_current";
    private static final String OLD_SECRET = "whsec_test_previous";
    private static final long NOW = 1_764_000_000L;
    private static final byte[] BODY = "{\"id\":\"evt_1\",\"object\":\"event\"}".getBytes(StandardCharsets.UTF_8);

    private final WebhookSignatureVerifier verifier = new WebhookSignatureVerifier(List.of(SECRET), Duration.ofSeconds(300),
            Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));

    @Test
    void acceptsAHeaderThatStripeJavaAlsoAccepts() throws Exception {
        String header = StripeTestSigner.header(NOW, BODY, SECRET);
        // The test signer agrees with Stripe's own SDK, so the verifier is checked against Stripe's scheme.
        assertThat(Webhook.Util.computeHmacSha256(SECRET, NOW + "." + new String(BODY, StandardCharsets.UTF_8)))
                .isEqualTo(StripeTestSigner.v1(SECRET, NOW, BODY));
        assertThat(verifier.verify(BODY, header)).isEqualTo(NOW);
    }

    @Test
    void rejectsEachBadHeaderWithItsReason() {
        String good = StripeTestSigner.v1(SECRET, NOW, BODY);
        assertFailure(null, SignatureFailure.MISSING_HEADER);
        assertFailure("  ", SignatureFailure.MISSING_HEADER);
        assertFailure("garbage", SignatureFailure.MALFORMED_HEADER);
        assertFailure("v1=" + good, SignatureFailure.MALFORMED_HEADER);
        assertFailure("t=abc,v1=" + good, SignatureFailure.MALFORMED_HEADER);
        assertFailure("t=" + NOW + ",t=" + NOW + ",v1=" + good, SignatureFailure.MALFORMED_HEADER);
        assertFailure("t=" + NOW + ",v0=" + good, SignatureFailure.NO_V1_SIGNATURE);
        assertFailure("t=" + NOW, SignatureFailure.NO_V1_SIGNATURE);
        assertFailure("t=" + NOW + ",v1=nothex", SignatureFailure.SIGNATURE_MISMATCH);
        assertFailure("t=" + NOW + ",v1=" + StripeTestSigner.v1("whsec_other", NOW, BODY), SignatureFailure.SIGNATURE_MISMATCH);
        assertFailure("t=" + (NOW + 1) + ",v1=" + good, SignatureFailure.SIGNATURE_MISMATCH);
        assertFailure("t=" + NOW + ",v1=" + "a".repeat(5000), SignatureFailure.MALFORMED_HEADER);
    }

    @Test
    void v0AlongsideAValidV1IsIgnoredNotRequired() {
        String header = "t=" + NOW + ",v0=" + "0".repeat(64) + ",v1=" + StripeTestSigner.v1(SECRET, NOW, BODY);
        assertThat(verifier.verify(BODY, header)).isEqualTo(NOW);
    }

    @Test
    void aModifiedBodyFails() {
        String header = StripeTestSigner.header(NOW, BODY, SECRET);
        byte[] reencoded = "{\"id\": \"evt_1\", \"object\": \"event\"}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> verifier.verify(reencoded, header))
                .isInstanceOfSatisfying(SignatureVerificationException.class,
                        e -> assertThat(e.failure()).isEqualTo(SignatureFailure.SIGNATURE_MISMATCH));
    }

    @Test
    void timestampsOutsideTheToleranceFailInBothDirections() {
        assertThat(verifier.verify(BODY, StripeTestSigner.header(NOW - 300, BODY, SECRET))).isEqualTo(NOW - 300);
        assertThat(verifier.verify(BODY, StripeTestSigner.header(NOW + 300, BODY, SECRET))).isEqualTo(NOW + 300);
        assertFailure(StripeTestSigner.header(NOW - 301, BODY, SECRET), SignatureFailure.TIMESTAMP_TOO_OLD);
        assertFailure(StripeTestSigner.header(NOW + 301, BODY, SECRET), SignatureFailure.TIMESTAMP_IN_FUTURE);
    }

    @Test
    void duringRotationAnyV1MatchingAnySecretPasses() {
        WebhookSignatureVerifier rotating = new WebhookSignatureVerifier(List.of(SECRET, OLD_SECRET),
                Duration.ofSeconds(300), Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));
        assertThat(rotating.verify(BODY, StripeTestSigner.header(NOW, BODY, SECRET, OLD_SECRET))).isEqualTo(NOW);
        assertThat(rotating.verify(BODY, StripeTestSigner.header(NOW, BODY, OLD_SECRET))).isEqualTo(NOW);
        assertThat(rotating.verify(BODY, StripeTestSigner.header(NOW, BODY, "whsec_unknown", SECRET))).isEqualTo(NOW);
        // After the rotation ends, only the new secret is configured: the old one stops working.
        assertThatThrownBy(() -> verifier.verify(BODY, StripeTestSigner.header(NOW, BODY, OLD_SECRET)))
                .isInstanceOf(SignatureVerificationException.class);
    }

    @Test
    void configFormSplitsCommaSeparatedSecretsAndNeverPrintsThem() {
        WebhookSignatureVerifier fromConfig = WebhookSignatureVerifier.fromConfig(SECRET + " , " + OLD_SECRET + ",",
                Duration.ofSeconds(300));
        assertThat(fromConfig.secretCount()).isEqualTo(2);
        assertThat(fromConfig.toString()).doesNotContain(SECRET).doesNotContain(OLD_SECRET);
        assertThat(WebhookSignatureVerifier.fromConfig("", Duration.ofSeconds(300)).isConfigured()).isFalse();
    }

    @Test
    void withoutSecretsEverythingFailsAsNotConfigured() {
        WebhookSignatureVerifier none = WebhookSignatureVerifier.fromConfig("", Duration.ofSeconds(300));
        assertThatThrownBy(() -> none.verify(BODY, StripeTestSigner.header(BODY, SECRET)))
                .isInstanceOfSatisfying(SignatureVerificationException.class,
                        e -> assertThat(e.failure()).isEqualTo(SignatureFailure.NOT_CONFIGURED));
    }

    private void assertFailure(String header, SignatureFailure expected) {
        assertThatThrownBy(() -> verifier.verify(BODY, header))
                .as("header %s", header)
                .isInstanceOfSatisfying(SignatureVerificationException.class, e -> {
                    assertThat(e.failure()).isEqualTo(expected);
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).doesNotContain(SECRET);
                });
    }
}

package dev.convexpipeline.stripe;

import dev.convexpipeline.testing.CapturedLogs;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class WebhookRejectionsTest {

    @Test
    void rejectionsAreCountedEachAndSummarizedAtInfoOncePerInterval() {
        AtomicLong nanos = new AtomicLong();
        StripeMetrics metrics = StripeMetrics.standalone();
        WebhookRejections rejections = new WebhookRejections(metrics, Duration.ofMinutes(1), nanos::get);
        try (CapturedLogs logs = new CapturedLogs()) {
            for (int i = 0; i < 500; i++) {
                rejections.record(400, "signature_mismatch", "no v1 matched");
            }
            rejections.record(413, "body_too_large", "too large");
            assertThat(logs.text().lines().filter(line -> line.startsWith("INFO"))).isEmpty();

            nanos.addAndGet(Duration.ofSeconds(61).toNanos());
            rejections.record(400, "signature_mismatch", "no v1 matched");
            rejections.record(400, "signature_mismatch", "no v1 matched");

            assertThat(logs.text().lines().filter(line -> line.startsWith("INFO")))
                    .containsExactly("INFO WebhookRejections Stripe webhook rejected 502 request(s) in the last 61 s:"
                            + " {400 signature_mismatch=501, 413 body_too_large=1} (each one is counted in"
                            + " stripe_webhook_rejected_total; LOG_LEVEL=DEBUG shows them one by one)");
        }
        assertThat(metrics.registry().counter("stripe_webhook_rejected", "reason", "signature_mismatch").count())
                .isEqualTo(502.0);
    }

    @Test
    void theSummaryIntervalIsTheConfiguredOne() {
        AtomicLong nanos = new AtomicLong();
        WebhookRejections rejections = new WebhookRejections(StripeMetrics.standalone(), Duration.ofSeconds(10), nanos::get);
        try (CapturedLogs logs = new CapturedLogs()) {
            rejections.record(400, "signature_mismatch", "no v1 matched");
            nanos.addAndGet(Duration.ofSeconds(9).toNanos());
            rejections.record(400, "signature_mismatch", "no v1 matched");
            assertThat(logs.text().lines().filter(line -> line.startsWith("INFO"))).isEmpty();

            nanos.addAndGet(Duration.ofSeconds(1).toNanos());
            rejections.record(400, "signature_mismatch", "no v1 matched");

            assertThat(logs.text().lines().filter(line -> line.startsWith("INFO")))
                    .containsExactly("INFO WebhookRejections Stripe webhook rejected 3 request(s) in the last 10 s:"
                            + " {400 signature_mismatch=3} (each one is counted in"
                            + " stripe_webhook_rejected_total; LOG_LEVEL=DEBUG shows them one by one)");
        }
    }
}

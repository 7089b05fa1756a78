package dev.convexpipeline.stripe;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Rejected webhook requests (4xx: bad signature, not an event, too large, wrong method) come from
 * anyone who can reach the public port, so each one is counted in the metrics and logged at DEBUG
 * only; at INFO there is at most one summary line per interval ("… rejected 1200 requests in the
 * last 60 s: signature_mismatch 1190, body_too_large 10"), written when the next rejection arrives
 * after the interval.
 */
final class WebhookRejections {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookRejections.class);

    private final StripeMetrics metrics;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final Map<String, LongAdder> pending = new ConcurrentHashMap<>();
    private final AtomicLong windowStart;

    WebhookRejections(StripeMetrics metrics, Duration interval, LongSupplier nanoClock) {
        this.metrics = metrics;
        this.intervalNanos = interval.toNanos();
        this.nanoClock = nanoClock;
        this.windowStart = new AtomicLong(nanoClock.getAsLong());
    }

    void record(int status, String reason, String detail) {
        metrics.rejected(reason);
        pending.computeIfAbsent(status + " " + reason, key -> new LongAdder()).increment();
        LOG.debug("Stripe webhook rejected with {}: {}", status, detail);
        long start = windowStart.get();
        long now = nanoClock.getAsLong();
        if (now - start >= intervalNanos && windowStart.compareAndSet(start, now)) {
            Map<String, Long> counts = new TreeMap<>();
            pending.forEach((key, adder) -> {
                long count = adder.sumThenReset();
                if (count > 0) {
                    counts.put(key, count);
                }
            });
            long total = counts.values().stream().mapToLong(Long::longValue).sum();
            LOG.info("Stripe webhook rejected {} request(s) in the last {} s: {} (each one is counted in"
                    + " stripe_webhook_rejected_total; LOG_LEVEL=DEBUG shows them one by one)",
                    total, Duration.ofNanos(now - start).toSeconds(), counts);
        }
    }
}

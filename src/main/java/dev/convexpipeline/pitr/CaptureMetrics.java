package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.BackupLayout;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Change-capture figures for Prometheus: lag behind the deployment, segments written, documents
 * captured, chain breaks. Kept here so health and the benchmark read them without a registry.
 */
public final class CaptureMetrics {
    private final Clock clock;
    /** Every change up to this deployment timestamp (ns) is in a complete segment, or none happened. */
    private final AtomicLong capturedThrough = new AtomicLong();
    private final AtomicLong segments = new AtomicLong();
    private final AtomicLong documents = new AtomicLong();
    private final AtomicLong breaks = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicReference<String> lastFailure = new AtomicReference<>();
    private final AtomicReference<MeterRegistry> bound = new AtomicReference<>();

    public CaptureMetrics(Clock clock) {
        this.clock = clock;
    }

    public void bindTo(MeterRegistry registry) {
        if (registry == null || !bound.compareAndSet(null, registry)) {
            return;
        }
        Gauge.builder("convex.changes.lag", this, m -> m.lag() == null ? -1 : m.lag().toMillis() / 1000.0)
                .baseUnit("seconds")
                .description("How far the captured change log is behind now (-1: nothing captured since start)")
                .register(registry);
        FunctionCounter.builder("convex.changes.segments", segments, AtomicLong::get)
                .description("Change segments written").register(registry);
        FunctionCounter.builder("convex.changes.documents", documents, AtomicLong::get)
                .description("Document changes captured").register(registry);
        FunctionCounter.builder("convex.changes.breaks", breaks, AtomicLong::get)
                .description("Chain breaks: changes the deployment no longer had").register(registry);
        FunctionCounter.builder("convex.changes.failures", failures, AtomicLong::get)
                .description("Capture cycles that failed (retried at the next flush)").register(registry);
    }

    void captured(long throughTs) {
        capturedThrough.accumulateAndGet(throughTs, Math::max);
    }

    void segment(long documentCount) {
        segments.incrementAndGet();
        documents.addAndGet(documentCount);
    }

    void chainBroken() {
        breaks.incrementAndGet();
    }

    void failure(String reason) {
        failures.incrementAndGet();
        lastFailure.set(reason);
    }

    /** Now minus the newest deployment time fully captured; null before the first capture. */
    public Duration lag() {
        long through = capturedThrough.get();
        return through == 0 ? null : Duration.between(BackupLayout.toInstant(through), clock.instant());
    }

    public long segmentsWritten() {
        return segments.get();
    }

    public long documentsCaptured() {
        return documents.get();
    }

    public long chainBreaks() {
        return breaks.get();
    }

    public String lastFailure() {
        return lastFailure.get();
    }
}

package dev.convexpipeline.backup;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Backup figures for Prometheus ({@code /observe/metrics}): last success time, duration, size and
 * documents, and run/verify counts by outcome. Values live here, so they are correct whenever the
 * registry (the one Camel Main creates) gets bound; without one they are still kept for health
 * and status.
 */
public final class BackupMetrics {
    private final AtomicLong lastSuccessEpochSeconds = new AtomicLong();
    private final AtomicLong lastFailureEpochSeconds = new AtomicLong();
    private final AtomicLong lastDurationMillis = new AtomicLong();
    private final AtomicLong lastBytes = new AtomicLong();
    private final AtomicLong lastDocuments = new AtomicLong();
    private final AtomicLong successes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong verifyOk = new AtomicLong();
    private final AtomicLong verifyFailed = new AtomicLong();
    private final AtomicReference<String> lastFailureReason = new AtomicReference<>();
    private final AtomicReference<MeterRegistry> bound = new AtomicReference<>();

    /** Registers the meters once; later calls with the same registry do nothing. */
    public void bindTo(MeterRegistry registry) {
        if (registry == null || !bound.compareAndSet(null, registry)) {
            return;
        }
        Gauge.builder("convex.backup.last.success", lastSuccessEpochSeconds, AtomicLong::get).baseUnit("seconds")
                .description("Unix time of the last successful backup (0: none since start)").register(registry);
        Gauge.builder("convex.backup.last.failure", lastFailureEpochSeconds, AtomicLong::get).baseUnit("seconds")
                .description("Unix time of the last failed backup (0: none since start)").register(registry);
        Gauge.builder("convex.backup.last.duration", lastDurationMillis, v -> v.get() / 1000.0).baseUnit("seconds")
                .description("Duration of the last successful backup").register(registry);
        Gauge.builder("convex.backup.last.size", lastBytes, AtomicLong::get).baseUnit("bytes")
                .description("ZIP size of the last successful backup").register(registry);
        Gauge.builder("convex.backup.last.documents", lastDocuments, AtomicLong::get)
                .description("Documents in user tables in the last successful backup").register(registry);
        FunctionCounter.builder("convex.backup.runs", successes, AtomicLong::get).tag("outcome", "success")
                .description("Backup runs by outcome").register(registry);
        FunctionCounter.builder("convex.backup.runs", failures, AtomicLong::get).tag("outcome", "failure")
                .description("Backup runs by outcome").register(registry);
        FunctionCounter.builder("convex.backup.verifications", verifyOk, AtomicLong::get).tag("outcome", "ok")
                .description("Backup verifications by outcome").register(registry);
        FunctionCounter.builder("convex.backup.verifications", verifyFailed, AtomicLong::get).tag("outcome", "failed")
                .description("Backup verifications by outcome").register(registry);
    }

    void success(Instant finished, Duration duration, long bytes, long documents) {
        lastSuccessEpochSeconds.set(finished.getEpochSecond());
        lastDurationMillis.set(duration.toMillis());
        lastBytes.set(bytes);
        lastDocuments.set(documents);
        successes.incrementAndGet();
    }

    void failure(Instant at, String reason) {
        lastFailureEpochSeconds.set(at.getEpochSecond());
        lastFailureReason.set(reason);
        failures.incrementAndGet();
    }

    void verified(boolean ok) {
        (ok ? verifyOk : verifyFailed).incrementAndGet();
    }

    /** Last success seen by this process, or null. */
    public Instant lastSuccess() {
        long seconds = lastSuccessEpochSeconds.get();
        return seconds == 0 ? null : Instant.ofEpochSecond(seconds);
    }

    public String lastFailureReason() {
        return lastFailureReason.get();
    }

    public long failures() {
        return failures.get();
    }

    public long successes() {
        return successes.get();
    }
}

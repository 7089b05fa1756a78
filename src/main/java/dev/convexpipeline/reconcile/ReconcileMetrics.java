package dev.convexpipeline.reconcile;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Reconcile's meters in the Micrometer registry Camel Main serves on {@code /observe/metrics}:
 * last success time, the last run's drift counts and duration, runs by outcome, Stripe requests.
 */
public final class ReconcileMetrics {
    /** Report counters exported as {@code reconcile_last_run_count{kind=...}}. */
    static final java.util.List<String> EXPORTED = java.util.List.of("subscriptionsSeen", "created", "updated", "revoked",
            "unchanged", "unmatched", "skippedNewer", "eventsReplayed", "errors");

    private final Supplier<MeterRegistry> registry;
    private final AtomicLong lastSuccessSeconds = new AtomicLong();
    private final AtomicLong lastDurationMillis = new AtomicLong();
    private final Map<String, AtomicLong> lastCounts = new ConcurrentHashMap<>();
    private volatile boolean registered;

    /** {@code registry} is resolved lazily: Camel Main binds its registry while starting, after the beans exist. */
    public ReconcileMetrics(Supplier<MeterRegistry> registry) {
        this.registry = registry;
    }

    private void register() {
        if (registered) {
            return;
        }
        synchronized (this) {
            if (registered) {
                return;
            }
            MeterRegistry meters = registry.get();
            Gauge.builder("reconcile_last_success_timestamp_seconds", lastSuccessSeconds, AtomicLong::get)
                    .description("When the last completed (non dry-run) reconcile run finished, Unix seconds").register(meters);
            Gauge.builder("reconcile_last_run_duration_seconds", lastDurationMillis, v -> v.get() / 1000.0)
                    .description("Duration of the last completed reconcile run").register(meters);
            for (String kind : EXPORTED) {
                AtomicLong value = lastCounts.computeIfAbsent(kind, k -> new AtomicLong());
                Gauge.builder("reconcile_last_run_count", value, AtomicLong::get).tag("kind", kind)
                        .description("Counts of the last completed reconcile run (drift found and repaired)").register(meters);
            }
            registered = true;
        }
    }

    /** Called at the end of every real run (not dry runs: they change nothing). */
    public void finished(ReconcileReport report) {
        register();
        Counter.builder("reconcile_runs").description("Reconcile runs by final status")
                .tag("status", report.status()).register(registry.get()).increment();
        Counter.builder("reconcile_stripe_requests").description("Stripe API requests made by reconcile, retries included")
                .register(registry.get()).increment(report.count("stripeRequests"));
        if ("completed".equals(report.status())) {
            lastSuccessSeconds.set(System.currentTimeMillis() / 1000);
            lastDurationMillis.set(report.duration().toMillis());
            EXPORTED.forEach(kind -> lastCounts.get(kind).set(report.count(kind)));
        }
    }
}

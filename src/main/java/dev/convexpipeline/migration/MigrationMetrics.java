package dev.convexpipeline.migration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.Locale;

/**
 * Migration figures for {@code /observe/metrics}: bytes uploaded to targets, documents written,
 * verifications and finished migrations by outcome.
 */
public final class MigrationMetrics {
    private MeterRegistry registry = new SimpleMeterRegistry();
    private Counter bytes;
    private Counter documents;

    public MigrationMetrics() {
        bindTo(null);
    }

    /** Moves the meters to {@code meters} (Camel's Prometheus registry); null keeps them local. */
    public synchronized MigrationMetrics bindTo(MeterRegistry meters) {
        if (meters != null) {
            registry = meters;
        }
        bytes = Counter.builder("pipeline_migration_bytes_sent").description("Snapshot bytes uploaded to migration targets")
                .baseUnit("bytes").register(registry);
        documents = Counter.builder("pipeline_migration_documents_written")
                .description("Documents the targets reported written by migration imports").register(registry);
        return this;
    }

    synchronized void bytesSent(long delta) {
        if (delta > 0) {
            bytes.increment(delta);
        }
    }

    synchronized void documentsWritten(long count) {
        documents.increment(count);
    }

    synchronized void verified(boolean ok) {
        registry.counter("pipeline_migration_verifications", "result", ok ? "ok" : "different").increment();
    }

    synchronized void finished(MigrationStatus status) {
        registry.counter("pipeline_migrations", "status", status.name().toLowerCase(Locale.ROOT)).increment();
    }
}

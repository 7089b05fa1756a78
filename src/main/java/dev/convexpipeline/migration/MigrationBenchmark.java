package dev.convexpipeline.migration;

import dev.convexpipeline.backup.BackupManifest;
import dev.convexpipeline.backup.BackupMetrics;
import dev.convexpipeline.backup.BackupService;
import dev.convexpipeline.backup.BackupSettings;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.ImportMode;
import dev.convexpipeline.convex.ImportOptions;
import dev.convexpipeline.convex.bench.BenchmarkDocuments;
import dev.convexpipeline.convex.bench.EmulatorProcess;
import dev.convexpipeline.convex.bench.HeapSampler;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The migration benchmark (docs/migration-benchmark.md): per size, seeds a source emulator, backs
 * it up into a local backup directory, then on one fresh target emulator measures
 * <ol>
 *   <li>{@code upload_part plain}: the stored ZIP streamed to the target's {@code upload_part} with
 *       {@link ConvexClient#uploadImport} and nothing else (the import is then canceled);</li>
 *   <li>{@code migration upload}: the same bytes sent by {@code migrate run --from <backup id>}
 *       (storage read, journal written after each part);</li>
 *   <li>{@code migration import}: the whole import step (checksum re-read, upload, server import);</li>
 *   <li>{@code migration total}: preflight to report, verify included.</li>
 * </ol>
 * Emulators run in child JVMs, so the heap figures are the migration's own.
 *
 * <pre>java -Xmx256m -cp target/convex-pipeline.jar dev.convexpipeline.migration.MigrationBenchmark --documents 100000,1000000</pre>
 */
public final class MigrationBenchmark {
    private static final Path CONFIG = Path.of("config", "application.properties");
    private static final double MB = 1024.0 * 1024.0;

    private final List<String> rows = new ArrayList<>();
    private final String emulatorHeap;

    private MigrationBenchmark(String emulatorHeap) {
        this.emulatorHeap = emulatorHeap;
    }

    public static void main(String[] args) throws Exception {
        List<Long> sizes = List.of(100_000L, 1_000_000L);
        String heap = "6g";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--documents" -> sizes = java.util.Arrays.stream(args[++i].split(",")).map(String::trim)
                        .map(s -> s.replace("_", "")).map(Long::parseLong).toList();
                case "--emulator-heap" -> heap = args[++i];
                default -> throw new IllegalArgumentException("usage: MigrationBenchmark [--documents 100000,1000000]"
                        + " [--emulator-heap 6g]");
            }
        }
        MigrationBenchmark bench = new MigrationBenchmark(heap);
        System.out.printf(Locale.ROOT, "Migration JVM: max heap %.0f MB, %d cores; emulators in child JVMs -Xmx%s%n",
                Runtime.getRuntime().maxMemory() / MB, Runtime.getRuntime().availableProcessors(), heap);
        bench.rows.add(String.format(Locale.ROOT, "%10s  %-18s %9s %11s %8s %8s %12s %12s",
                "documents", "phase", "seconds", "docs/s", "MB/s", "ZIP MB", "heap peak MB", "live peak MB"));
        for (long documents : sizes) {
            bench.measure(documents);
        }
        System.out.println();
        bench.rows.forEach(System.out::println);
    }

    private void measure(long documents) throws Exception {
        Path work = Files.createTempDirectory("migration-bench-");
        Path seed = work.resolve("seed.zip");
        BenchmarkDocuments.writeZip(seed, documents);
        Map<String, String> properties = new HashMap<>();
        properties.put("backup.target", "file:" + work.resolve("storage"));
        try (EmulatorProcess source = EmulatorProcess.start(emulatorHeap);
             EmulatorProcess target = EmulatorProcess.start(emulatorHeap)) {
            try (ConvexClient client = client(source); InputStream in = Files.newInputStream(seed)) {
                client.importSnapshot(in, ImportOptions.zip(ImportMode.REQUIRE_EMPTY).withTimeout(Duration.ofHours(2)));
            }
            properties.put("convex.url", source.url());
            properties.put("convex.admin-key", source.adminKey());
            BackupManifest backup;
            try (BackupService service = BackupSettings.load(dev.convexpipeline.app.ConfigFile.settings(CONFIG, properties)).createService(new BackupMetrics(), Clock.systemUTC())) {
                backup = service.run();
            }
            long zipBytes = backup.zip().bytes();
            Path storedZip = work.resolve("storage").resolve(
                    new dev.convexpipeline.backup.BackupLayout(backup.source().instance()).key(backup.snapshotTs(),
                            dev.convexpipeline.backup.BackupLayout.Kind.ZIP));
            System.out.printf(Locale.ROOT, "[%,d] source seeded and backed up: %.1f MB ZIP%n", documents, zipBytes / MB);

            // 1. The baseline: the same bytes to the same target's upload_part, nothing else (again after the migration).
            double plainBefore = plainUpload(documents, target, storedZip, zipBytes, "upload_part plain");

            // 2-4. The migration from that backup into the same (still empty) target.
            properties.put("migration.target-admin-key", target.adminKey());
            long[] upload = new long[2];
            MigrationListener phases = journal -> {
                if (journal.status() == MigrationStatus.UPLOADING && upload[0] == 0) {
                    upload[0] = System.nanoTime();
                } else if (journal.status() == MigrationStatus.UPLOADED && upload[1] == 0) {
                    upload[1] = System.nanoTime();
                }
            };
            try (Migrator migrator = new Migrator(MigrationSettings.load(dev.convexpipeline.app.ConfigFile.settings(CONFIG, properties)), Clock.systemUTC(), new MigrationMetrics())
                    .withListener(phases); HeapSampler heap = HeapSampler.start()) {
                long started = System.nanoTime();
                Migrator.Request request = new Migrator.Request(backup.id(), target.url(), List.of(), ImportMode.REQUIRE_EMPTY,
                        false, false, true, false, null, null);
                String id = migrator.preflight(request, Migrator.Confirmation.REFUSE).journal().id();
                migrator.snapshot(id);
                migrator.rollbackPoint(id);
                long importStarted = System.nanoTime();
                migrator.importSnapshot(id);
                double importSeconds = seconds(importStarted);
                migrator.verify(id);
                MigrationJournal done = migrator.report(id);
                double total = seconds(started);
                if (done.status() != MigrationStatus.VERIFIED || done.documentsWritten() != documents) {
                    throw new IllegalStateException("migration ended " + done.status() + " with " + done.documentsWritten()
                            + " documents written, expected " + documents + ": " + done.error());
                }
                row(documents, "migration upload", (upload[1] - upload[0]) / 1e9, zipBytes, heap);
                row(documents, "migration import", importSeconds, zipBytes, heap);
                row(documents, "migration total", total, zipBytes, heap);
            }
            double plainAfter = plainUpload(documents, target, storedZip, zipBytes, "upload_part again");
            double migrated = zipBytes / MB / ((upload[1] - upload[0]) / 1e9);
            // Compared with the faster of the two baselines, so neither JIT warm-up nor load favours the migration.
            String verdict = String.format(Locale.ROOT, "%,10d  migration upload %.1f MB/s = %.0f %% of the faster plain"
                    + " upload_part stream (%.1f MB/s); target >= 80 %%", documents, migrated,
                    100 * migrated / Math.max(plainBefore, plainAfter), Math.max(plainBefore, plainAfter));
            rows.add(verdict);
            System.out.println(verdict);
        } finally {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Streams the stored ZIP to the target's upload_part and cancels the import; returns MB/s. */
    private double plainUpload(long documents, EmulatorProcess target, Path zipFile, long zipBytes, String phase) throws Exception {
        try (ConvexClient client = client(target); HeapSampler heap = HeapSampler.start();
             InputStream zip = Files.newInputStream(zipFile)) {
            long started = System.nanoTime();
            String importId = client.uploadImport(zip, ImportOptions.zip(ImportMode.REQUIRE_EMPTY), sent -> { });
            double seconds = seconds(started);
            row(documents, phase, seconds, zipBytes, heap);
            try {
                client.cancelImport(importId);
            } catch (dev.convexpipeline.convex.ConvexException alreadyFailed) {
                // Into a non-empty target a require-empty upload fails on its own: nothing to cancel.
            }
            return zipBytes / MB / seconds;
        }
    }

    private static ConvexClient client(EmulatorProcess emulator) {
        return new ConvexClient(ConvexClientConfig.of(emulator.url(), emulator.adminKey())
                .withTimeouts(Duration.ofSeconds(5), Duration.ofMinutes(10)));
    }

    private void row(long documents, String phase, double seconds, long bytes, HeapSampler heap) {
        String row = String.format(Locale.ROOT, "%,10d  %-18s %9.2f %,11.0f %8.1f %8.1f %12.1f %12.1f", documents, phase,
                seconds, documents / seconds, bytes / MB / seconds, bytes / MB, heap.peakUsed() / MB, heap.peakLive() / MB);
        rows.add(row);
        System.out.println(row);
    }

    private static double seconds(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e9;
    }
}

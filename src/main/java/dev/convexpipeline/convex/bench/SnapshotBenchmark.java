package dev.convexpipeline.convex.bench;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.ExportOptions;
import dev.convexpipeline.convex.ExportResult;
import dev.convexpipeline.convex.ImportMode;
import dev.convexpipeline.convex.ImportOptions;
import dev.convexpipeline.convex.ImportResult;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Snapshot throughput and client heap benchmark: for each requested size it seeds an emulator
 * (in a child JVM) with that many documents, then measures, in this JVM, a ZIP export streamed to
 * a temp file (request, wait, download), the download alone once more, a replace-import of that
 * file into a second emulator, and a full {@code list_snapshot} read. Prints documents/s, MB/s and this JVM's peak heap per phase.
 *
 * <pre>
 * mvn -B -q package -DskipTests
 * java -Xmx256m -cp target/convex-pipeline.jar dev.convexpipeline.convex.bench.SnapshotBenchmark \
 *      --documents 10000,100000,1000000
 * </pre>
 * Options: {@code --documents N[,N…]} (default 10000), {@code --emulator-heap SIZE} (child JVM
 * {@code -Xmx}, default 6g), {@code --part-size-mib M} (import part size, default 5).
 *
 * <p>Not a unit test: timings on a shared machine vary, so nothing here asserts a figure.
 */
public final class SnapshotBenchmark {
    private static final double MB = 1024.0 * 1024.0;
    /** Short polls so the measured time is the server's work, not the client's waiting granularity. */
    private static final Duration POLL_INTERVAL = Duration.ofMillis(100);

    private final List<Long> sizes;
    private final String emulatorHeap;
    private final int partSize;
    private final List<String> rows = new ArrayList<>();

    private SnapshotBenchmark(List<Long> sizes, String emulatorHeap, int partSize) {
        this.sizes = sizes;
        this.emulatorHeap = emulatorHeap;
        this.partSize = partSize;
    }

    public static void main(String[] args) throws Exception {
        List<Long> sizes = List.of(10_000L);
        String emulatorHeap = "6g";
        int partSizeMib = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--documents" -> sizes = parseSizes(value(args, ++i, "--documents"));
                case "--emulator-heap" -> emulatorHeap = value(args, ++i, "--emulator-heap");
                case "--part-size-mib" -> partSizeMib = Integer.parseInt(value(args, ++i, "--part-size-mib"));
                case "-h", "--help" -> {
                    System.out.println("usage: SnapshotBenchmark [--documents N[,N...]] [--emulator-heap 6g] [--part-size-mib 5]");
                    return;
                }
                default -> throw new IllegalArgumentException("Unknown option " + args[i] + "; try --help");
            }
        }
        new SnapshotBenchmark(sizes, emulatorHeap, partSizeMib * 1024 * 1024).run();
    }

    private void run() throws Exception {
        System.out.printf(Locale.ROOT, "Client JVM: max heap %.0f MB, GC %s, %d cores; emulator child JVMs -Xmx%s%n",
                Runtime.getRuntime().maxMemory() / MB,
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                        .collect(Collectors.joining("+")),
                Runtime.getRuntime().availableProcessors(), emulatorHeap);
        rows.add(String.format(Locale.ROOT, "%10s  %-12s %9s %11s %8s %10s %12s %12s",
                "documents", "phase", "seconds", "docs/s", "MB/s", "ZIP MB", "heap peak MB", "live peak MB"));
        for (long documents : sizes) {
            measure(documents);
        }
        System.out.println();
        rows.forEach(System.out::println);
    }

    private void measure(long documents) throws Exception {
        Path seedZip = Files.createTempFile("bench-seed-", ".zip");
        Path exportZip = Files.createTempFile("bench-export-", ".zip");
        try {
            long started = System.nanoTime();
            BenchmarkDocuments.Written seed = BenchmarkDocuments.writeZip(seedZip, documents);
            System.out.printf(Locale.ROOT, "[%,d] generated a %.1f MB seed ZIP (%.1f MB of JSON lines, %.0f bytes per"
                            + " document) in %.1f s%n", documents, seed.zipBytes() / MB, seed.jsonBytes() / MB,
                    (double) seed.jsonBytes() / documents, seconds(started));

            try (EmulatorProcess source = EmulatorProcess.start(emulatorHeap);
                 ConvexClient client = client(source)) {
                started = System.nanoTime();
                ImportResult seeded;
                try (InputStream in = Files.newInputStream(seedZip)) {
                    seeded = client.importSnapshot(in, importOptions(ImportMode.REQUIRE_EMPTY));
                }
                check(seeded.numRowsWritten(), documents, "seed import");
                System.out.printf(Locale.ROOT, "[%,d] seeded the source emulator in %.1f s%n", documents, seconds(started));

                ExportResult exported;
                try (HeapSampler heap = HeapSampler.start();
                     OutputStream out = new BufferedOutputStream(Files.newOutputStream(exportZip), 1 << 16)) {
                    started = System.nanoTime();
                    exported = client.exportSnapshot(out, ExportOptions.defaults()
                            .withTimeout(Duration.ofHours(2)).withPollInterval(POLL_INTERVAL));
                    out.flush();
                    row(documents, "export", started, exported.bytes(), heap);
                }
                // The same ZIP downloaded again: the streaming part alone, without the server building it.
                try (HeapSampler heap = HeapSampler.start(); InputStream zip = client.openExportStream(exported.startTs())) {
                    started = System.nanoTime();
                    long bytes = zip.transferTo(OutputStream.nullOutputStream());
                    row(documents, "download", started, bytes, heap);
                }
            }

            try (EmulatorProcess target = EmulatorProcess.start(emulatorHeap);
                 ConvexClient client = client(target)) {
                long zipBytes = Files.size(exportZip);
                try (HeapSampler heap = HeapSampler.start(); InputStream in = Files.newInputStream(exportZip)) {
                    started = System.nanoTime();
                    ImportResult imported = client.importSnapshot(in,
                            importOptions(ImportMode.REPLACE).withConfirmDeletes(true));
                    row(documents, "import", started, zipBytes, heap);
                    check(imported.numRowsWritten(), documents, "replace import");
                }
                try (HeapSampler heap = HeapSampler.start()) {
                    started = System.nanoTime();
                    long listed = client.listSnapshot(BenchmarkDocuments.TABLE).count();
                    row(documents, "list_snapshot", started, -1, heap);
                    check(listed, documents, "list_snapshot");
                }
            }
        } finally {
            Files.deleteIfExists(seedZip);
            Files.deleteIfExists(exportZip);
        }
    }

    private ImportOptions importOptions(ImportMode mode) {
        return ImportOptions.zip(mode).withPartSize(partSize).withTimeout(Duration.ofHours(2))
                .withPollInterval(POLL_INTERVAL);
    }

    private static ConvexClient client(EmulatorProcess emulator) {
        return new ConvexClient(ConvexClientConfig.of(emulator.url(), emulator.adminKey())
                .withTimeouts(Duration.ofSeconds(5), Duration.ofMinutes(10)));
    }

    private void row(long documents, String phase, long startedNanos, long bytes, HeapSampler heap) {
        double seconds = seconds(startedNanos);
        String row = String.format(Locale.ROOT, "%,10d  %-12s %9.2f %,11.0f %8s %10s %12.1f %12.1f",
                documents, phase, seconds, documents / seconds,
                bytes < 0 ? "-" : String.format(Locale.ROOT, "%.1f", bytes / MB / seconds),
                bytes < 0 ? "-" : String.format(Locale.ROOT, "%.1f", bytes / MB),
                heap.peakUsed() / MB, heap.peakLive() / MB);
        rows.add(row);
        System.out.println(row);
    }

    private static void check(long actual, long expected, String what) {
        if (actual != expected) {
            throw new IllegalStateException(what + " handled " + actual + " documents, expected " + expected);
        }
    }

    private static double seconds(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[index];
    }

    private static List<Long> parseSizes(String text) {
        List<Long> sizes = new ArrayList<>();
        for (String part : text.split(",")) {
            String size = part.trim().replace("_", "").toLowerCase(Locale.ROOT);
            long factor = size.endsWith("k") ? 1_000 : size.endsWith("m") ? 1_000_000 : 1;
            if (factor != 1) {
                size = size.substring(0, size.length() - 1);
            }
            sizes.add(Long.parseLong(size) * factor);
        }
        return sizes;
    }
}

package dev.convexpipeline.pitr.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.backup.BackupLayout;
import dev.convexpipeline.backup.BackupManifest;
import dev.convexpipeline.backup.BackupMetrics;
import dev.convexpipeline.backup.BackupService;
import dev.convexpipeline.backup.BackupSettings;
import dev.convexpipeline.backup.ConvexSnapshotSource;
import dev.convexpipeline.backup.LocalDirectoryTarget;
import dev.convexpipeline.backup.RetentionPolicy;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.convex.bench.EmulatorProcess;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.pitr.CaptureMetrics;
import dev.convexpipeline.pitr.ChangeCapture;
import dev.convexpipeline.convex.ImportMode;
import dev.convexpipeline.migration.MigrationJournal;
import dev.convexpipeline.migration.MigrationMetrics;
import dev.convexpipeline.migration.MigrationSettings;
import dev.convexpipeline.migration.Migrator;
import dev.convexpipeline.pitr.RestoreService;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Point-in-time restore benchmark (docs/point-in-time-restore.md):
 * <ol>
 *   <li>capture: writes at a steady rate into an emulator while a capturer flushes every
 *       {@code --flush}; for each rate, the longest flush and the lag right after each flush (now
 *       minus the newest captured commit). A rate is kept up with when every flush takes less than
 *       the interval and the lag after it stays under the interval for the whole run;</li>
 *   <li>restore: a base backup of {@code --base} documents plus {@code --changes} captured changes,
 *       restored into an emulator in its own JVM by a restore running in a JVM of its own
 *       ({@code --restore-xmx}), which reports its time and peak heap.</li>
 * </ol>
 * The source emulator and the capturer share this JVM (in-process writes need no HTTP function);
 * capture reads {@code document_deltas} over HTTP as in production.
 */
public final class PitrBenchmark {
    private static final Path CONFIG = Path.of("config", "application.properties");
    private static final String INSTANCE = ConvexEmulator.DEFAULT_INSTANCE_NAME;

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--probe-restore")) {
            probeRestore(args);
            return;
        }
        List<Integer> rates = List.of(1000, 2000, 4000, 8000);
        int seconds = 30;
        Duration flush = Duration.ofSeconds(10);
        int base = 100_000;
        int changes = 10_000;
        String restoreXmx = "256m";
        boolean captureOnly = false;
        boolean restoreOnly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rates" -> rates = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--flush" -> flush = BackupSettings.duration(args[++i], "--flush");
                case "--base" -> base = Integer.parseInt(args[++i]);
                case "--changes" -> changes = Integer.parseInt(args[++i]);
                case "--restore-xmx" -> restoreXmx = args[++i];
                case "--capture-only" -> captureOnly = true;
                case "--restore-only" -> restoreOnly = true;
                default -> throw new IllegalArgumentException("Unknown option " + args[i]);
            }
        }
        System.out.printf("cores=%d, benchmark JVM max heap %d MiB%n", Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);
        if (!restoreOnly) {
            System.out.printf("%nCapture (flush every %s, %d s per rate)%n", flush, seconds);
            System.out.printf("%10s %10s %8s %10s %14s %20s  %s%n", "rate/s", "achieved/s", "flushes", "changes",
                    "max flush ms", "max lag after ms", "keeps up");
            for (int rate : rates) {
                boolean keptUp = capture(rate, seconds, flush);
                if (!keptUp) {
                    break;
                }
            }
        }
        if (!captureOnly) {
            restore(base, changes, restoreXmx);
        }
    }

    private static boolean capture(int rate, int seconds, Duration flush) throws Exception {
        Path dir = Files.createTempDirectory("pitr-bench-capture");
        ConvexEmulator emulator = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
        try (ConvexClient client = client(emulator.url(), emulator.adminKey())) {
            List<String> ids = seed(emulator, 1000, "messages");
            LocalDirectoryTarget storage = new LocalDirectoryTarget(dir.resolve("backups"));
            backup(storage, client);
            ChangeCapture capture = new ChangeCapture(storage, new BackupLayout(INSTANCE), client::documentDeltasPage,
                    new CaptureMetrics(Clock.systemUTC()), Clock.systemUTC(), dir);
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong written = new AtomicLong();
            Thread writer = new Thread(() -> write(emulator, ids, rate, writing, written), "bench-writer");
            long started = System.nanoTime();
            writer.start();
            long maxFlush = 0;
            long maxLag = 0;
            long captured = 0;
            int flushes = 0;
            long end = started + seconds * 1_000_000_000L;
            long next = started + flush.toNanos();
            while (System.nanoTime() < end) {
                long sleep = (next - System.nanoTime()) / 1_000_000;
                if (sleep > 0) {
                    Thread.sleep(sleep);
                }
                long flushStart = System.nanoTime();
                ChangeCapture.Cycle cycle = capture.captureOnce();
                long flushEnd = System.nanoTime();
                if (ChangeCapture.Cycle.BROKEN.equals(cycle.outcome())) {
                    // The emulator keeps the last 50,000 commits; a slower capturer falls out of it.
                    System.out.printf("%10d  gap: the emulator dropped changes before the capturer read them (%s)%n",
                            rate, cycle.message());
                    writing.set(false);
                    writer.join();
                    return false;
                }
                flushes++;
                captured += cycle.documents();
                maxFlush = Math.max(maxFlush, (flushEnd - flushStart) / 1_000_000);
                maxLag = Math.max(maxLag, capture.metrics().lag() == null ? 0 : capture.metrics().lag().toMillis());
                next = Math.max(next + flush.toNanos(), flushEnd);
            }
            writing.set(false);
            writer.join();
            double elapsed = (System.nanoTime() - started) / 1e9;
            captured += capture.captureOnce().documents();
            // Each flush reads up to the deployment's present, so the lag right after it is small while
            // flushes keep pace; they keep pace while one takes less than the interval it covers.
            boolean keptUp = maxFlush < flush.toMillis() && maxLag < flush.toMillis();
            System.out.printf("%10d %10.0f %8d %10d %14d %20d  %s%n", rate, written.get() / elapsed, flushes, captured,
                    maxFlush, maxLag, keptUp ? "yes" : "NO");
            if (captured != written.get()) {
                System.out.printf("  (captured %d changes of %d written)%n", captured, written.get());
            }
            return keptUp;
        } finally {
            emulator.stop();
            deleteTree(dir);
        }
    }

    /** Inserts, updates and deletes at {@code rate} per second: 60% inserts, 30% updates, 10% deletes. */
    private static void write(ConvexEmulator emulator, List<String> ids, int rate, AtomicBoolean writing, AtomicLong written) {
        Random random = new Random(1);
        long started = System.nanoTime();
        while (writing.get()) {
            long due = (long) ((System.nanoTime() - started) / 1e9 * rate);
            while (written.get() < due && writing.get()) {
                int kind = random.nextInt(10);
                if (kind < 6 || ids.size() < 100) {
                    ids.add(emulator.insert("messages", document(random.nextInt())));
                } else if (kind < 9) {
                    String id = ids.get(random.nextInt(ids.size()));
                    emulator.store().write(tx -> {
                        tx.patch(id, document(random.nextInt()));
                        return null;
                    });
                } else {
                    String id = ids.remove(random.nextInt(ids.size()));
                    emulator.store().write(tx -> {
                        tx.delete(id);
                        return null;
                    });
                }
                written.incrementAndGet();
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void restore(int baseDocuments, int changeCount, String restoreXmx) throws Exception {
        System.out.printf("%nRestore: base of %,d documents + %,d captured changes%n", baseDocuments, changeCount);
        Path dir = Files.createTempDirectory("pitr-bench-restore");
        ConvexEmulator source = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
        try (ConvexClient client = client(source.url(), source.adminKey());
             EmulatorProcess target = EmulatorProcess.start("2g")) {
            List<String> ids = seed(source, baseDocuments, "messages");
            LocalDirectoryTarget storage = new LocalDirectoryTarget(dir.resolve("backups"));
            BackupManifest base = backup(storage, client);
            ChangeCapture capture = new ChangeCapture(storage, new BackupLayout(INSTANCE), client::documentDeltasPage,
                    new CaptureMetrics(Clock.systemUTC()), Clock.systemUTC(), dir);
            Random random = new Random(2);
            for (int i = 0; i < changeCount; i++) {
                int kind = random.nextInt(10);
                if (kind < 2) {
                    source.insert(kind == 0 ? "audit" : "messages", document(i));
                } else if (kind < 9) {
                    String id = ids.get(random.nextInt(ids.size()));
                    source.store().write(tx -> {
                        tx.patch(id, document(random.nextInt()));
                        return null;
                    });
                } else {
                    String id = ids.remove(random.nextInt(ids.size()));
                    source.store().write(tx -> {
                        tx.delete(id);
                        return null;
                    });
                }
            }
            long at = source.store().latest().timestamp();
            capture.captureOnce();
            System.out.printf("base backup %s: %,d bytes; changes captured: %,d%n", base.id(), base.zip().bytes(),
                    capture.metrics().documentsCaptured());
            Path keyFile = dir.resolve("target.key");
            Files.writeString(keyFile, target.adminKey());
            String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
            Process probe = new ProcessBuilder(java, "-Xmx" + restoreXmx, "-XX:+UseSerialGC", "-cp",
                    System.getProperty("java.class.path"), PitrBenchmark.class.getName(), "--probe-restore",
                    storage.root().toString(), Long.toString(at), target.url(), keyFile.toString(), dir.toString())
                    .redirectErrorStream(true).start();
            String output = new String(probe.getInputStream().readAllBytes());
            int exit = probe.waitFor();
            String result = output.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElse(null);
            if (exit != 0 || result == null) {
                throw new IllegalStateException("restore JVM failed (exit " + exit + "):\n" + output);
            }
            JsonNode figures = ConvexValues.MAPPER.readTree(result);
            System.out.printf("restore JVM -Xmx%s: %,d documents in %,d ms as a migration (preflight, state stored as a"
                    + " pinned backup, rollback point, import, read-back verify), status %s, peak heap %,d MiB;"
                    + " materializing alone (dry run): %,d ms%n", restoreXmx,
                    figures.path("documents").asLong(), figures.path("millis").asLong(), figures.path("status").asText(),
                    figures.path("peakHeapBytes").asLong() >> 20, figures.path("dryRunMillis").asLong());
        } finally {
            source.stop();
            deleteTree(dir);
        }
    }

    /** Runs in its own JVM: one restore, then its time and the peak of every heap pool, as one JSON line. */
    private static void probeRestore(String[] args) throws Exception {
        Path root = Path.of(args[1]);
        long at = Long.parseLong(args[2]);
        String url = args[3];
        String key = Files.readString(Path.of(args[4])).trim();
        Path spill = Path.of(args[5]);
        LocalDirectoryTarget storage = new LocalDirectoryTarget(root);
        RestoreService service = new RestoreService(storage, new BackupLayout(INSTANCE), spill);
        Map<String, String> properties = Map.of("backup.target", "file:" + root, "backup.instance", INSTANCE,
                "migration.target-admin-key", key, "changes.spill-directory", spill.toString());
        try (Migrator migrator = new Migrator(MigrationSettings.load(dev.convexpipeline.app.ConfigFile.settings(CONFIG, properties)), storage, Clock.systemUTC(),
                new MigrationMetrics())) {
            long dryStarted = System.nanoTime();
            service.dryRun(at, null);
            long dryMillis = (System.nanoTime() - dryStarted) / 1_000_000;
            long started = System.nanoTime();
            MigrationJournal restored = migrator.run(new Migrator.Request(Migrator.pointInTime(at), url, List.of(),
                    ImportMode.REPLACE_ALL, false, false, true, false, null, null), Migrator.Confirmation.REFUSE);
            long millis = (System.nanoTime() - started) / 1_000_000;
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            ObjectNode line = ConvexValues.MAPPER.createObjectNode().put("millis", millis).put("peakHeapBytes", peak)
                    .put("documents", restored.documentsWritten())
                    .put("status", restored.status().name().toLowerCase(java.util.Locale.ROOT)).put("dryRunMillis", dryMillis);
            System.out.println(ConvexValues.write(line));
        }
    }

    private static List<String> seed(ConvexEmulator emulator, int count, String table) {
        List<String> ids = new ArrayList<>(count);
        for (int start = 0; start < count; start += 1000) {
            int from = start;
            int to = Math.min(count, start + 1000);
            ids.addAll(emulator.store().write(tx -> {
                List<String> batch = new ArrayList<>();
                for (int i = from; i < to; i++) {
                    batch.add(tx.insert(table, document(i)));
                }
                return batch;
            }).result());
        }
        return ids;
    }

    private static ObjectNode document(int n) {
        ObjectNode fields = ConvexValues.MAPPER.createObjectNode().put("author", "user-" + (n & 1023))
                .put("body", "message body number " + n + " with some text to make it realistic")
                .put("score", n * 0.5);
        fields.set("n", ConvexValues.int64(n));
        return fields;
    }

    private static BackupManifest backup(LocalDirectoryTarget storage, ConvexClient client) {
        return new BackupService(storage, new ConvexSnapshotSource(client, INSTANCE, false, Duration.ofMinutes(10)),
                new RetentionPolicy(Duration.ofDays(30), 7), new BackupMetrics(), Clock.systemUTC()).run();
    }

    private static ConvexClient client(String url, String key) {
        return new ConvexClient(ConvexClientConfig.of(url, key).withTimeouts(Duration.ofSeconds(5), Duration.ofMinutes(5)));
    }

    private static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // temporary files only
        }
    }
}

package dev.convexpipeline.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.sandbox.EmbeddedS3;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The backup benchmark (README "Benchmark"): seeds the Convex emulator with about N MB of export,
 * starts S3Proxy in a JVM of its own with an on-disk store (like a real S3 server: its own process,
 * heap and disk), then runs a separate JVM with a small heap that takes a backup and, on the same
 * export and the same S3, measures the raw baselines: download to /dev/null, a plain single-request
 * upload of the same size, and the multipart upload fed from memory. {@code --link-mbit N} reaches
 * S3Proxy over a veth link shaped to N Mbit/s in a network namespace of its own (root), as a store
 * on another host; {@code --s3-in-process --s3-in-memory} is the earlier setup, S3Proxy in memory
 * inside the emulator's JVM.
 *
 * <pre>java -Xmx6g -cp ... dev.convexpipeline.backup.BackupBenchmark [--sizes-mb 100,1000] [--xmx 128m] [--link-mbit 1000]</pre>
 */
public final class BackupBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = "bench";
    private static final String S3_ACCESS_KEY = "bench";
    private static final String S3_SECRET_KEY = "bench-secret-key";
    /** Random bytes per document, base64 in the document: compresses little, like real blobs. */
    private static final int PAYLOAD_BYTES = 6 * 1024;

    private BackupBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = List.of(100, 1000);
        String xmx = "128m";
        boolean disk = true;
        boolean s3Process = true;
        int linkMbit = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sizes-mb" -> sizes = Stream.of(args[++i].split(",")).map(String::trim).map(Integer::parseInt).toList();
                case "--xmx" -> xmx = args[++i];
                case "--s3-in-memory" -> disk = false;
                case "--s3-in-process" -> s3Process = false;
                case "--link-mbit" -> linkMbit = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("Usage: BackupBenchmark [--sizes-mb 100,1000] [--xmx 128m]"
                        + " [--s3-in-memory] [--s3-in-process] [--link-mbit N]");
            }
        }
        List<Map<String, Object>> results = new ArrayList<>();
        for (int sizeMb : sizes) {
            results.add(runOne(sizeMb, xmx, disk, s3Process || linkMbit > 0, linkMbit));
        }
        System.out.println();
        System.out.printf("%-8s %-9s %-10s %-12s %-12s %-12s %-12s %-10s %-10s %-8s%n", "target", "zip MB", "backup",
                "backup", "download", "plain PUT", "multipart", "peak heap", "peak RSS", "vs slower");
        System.out.printf("%-8s %-9s %-10s %-12s %-12s %-12s %-12s %-10s %-10s %-8s%n", "", "", "total s", "stream MB/s",
                "MB/s", "MB/s", "MB/s", "MB (bkp)", "MB", "baseline");
        for (Map<String, Object> r : results) {
            double backup = (double) r.get("backupMBps");
            double slower = Math.min((double) r.get("downloadMBps"), (double) r.get("plainPutMBps"));
            System.out.printf("%-8s %-9.1f %-10.1f %-12.1f %-12.1f %-12.1f %-12.1f %-10.1f %-10.1f %.0f%%%n",
                    r.get("sizeMb") + " MB", (double) r.get("zipBytes") / 1e6, r.get("backupTotalSeconds"), backup,
                    r.get("downloadMBps"), r.get("plainPutMBps"), r.get("multipartMBps"), r.get("backupPeakHeapMB"),
                    r.get("peakRssMB"), 100 * backup / slower);
        }
        System.out.println("(MB = 10^6 bytes; backup JVM -Xmx" + xmx + "; S3Proxy " + (disk ? "on disk" : "in memory")
                + (s3Process || linkMbit > 0 ? " in its own JVM" : " in the emulator's JVM")
                + (linkMbit > 0 ? ", reached over a " + linkMbit + " Mbit/s link" : ", over loopback")
                + "; 'stream' excludes the time Convex spends writing the export)");
    }

    private static Map<String, Object> runOne(int sizeMb, String xmx, boolean disk, boolean s3Process, int linkMbit)
            throws Exception {
        Path work = Files.createTempDirectory("backup-bench-");
        try (ShapedLink link = linkMbit > 0 ? ShapedLink.create(linkMbit) : null;
             ConvexEmulator convex = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
             S3Endpoint s3 = s3Process ? S3Endpoint.process(disk ? work.resolve("s3") : null, link)
                     : S3Endpoint.inProcess(disk ? work.resolve("s3") : null)) {
            long seedStart = System.nanoTime();
            long documents = seed(convex, sizeMb * 1_000_000L);
            System.out.printf("[%d MB] seeded %d documents in %.1f s%n", sizeMb, documents, (System.nanoTime() - seedStart) / 1e9);
            List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            // e.g. -Dbench.backupJvmOptions=-XX:StartFlightRecording=filename=backup.jfr to profile the backup JVM alone
            String extra = System.getProperty("bench.backupJvmOptions", "").trim();
            if (!extra.isEmpty()) {
                command.addAll(List.of(extra.split("\\s+")));
            }
            command.addAll(List.of(
                    "-Xmx" + xmx, "-Daws.requestChecksumCalculation=WHEN_REQUIRED",
                    "-Dbench.partMb=" + Integer.getInteger("bench.partMb", 8),
                    "-Dbench.compareUploads=" + Boolean.getBoolean("bench.compareUploads"),
                    "-Dbench.singlePutMaxMb=" + Long.getLong("bench.singlePutMaxMb", S3Settings.MAX_SINGLE_PUT_MB),
                    "-Dbench.partsInFlight=" + Integer.getInteger("bench.partsInFlight", 3),
                    "-cp", System.getProperty("java.class.path"), Measure.class.getName(),
                    convex.url(), convex.adminKey(), s3.endpoint().toString(), S3_ACCESS_KEY, S3_SECRET_KEY,
                    Long.toString(s3.pid())));
            Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
            Map<String, Object> result = null;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("RESULT ")) {
                        result = JSON.readValue(line.substring(7), LinkedHashMap.class);
                    } else if (line.startsWith("[bench]") || line.contains("Exception") || line.contains("ERROR")) {
                        System.out.println("  " + line);
                    }
                }
            }
            int code = child.waitFor();
            if (code != 0 || result == null) {
                throw new IllegalStateException("Benchmark JVM for " + sizeMb + " MB exited with " + code);
            }
            result.put("sizeMb", sizeMb);
            return result;
        } finally {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * The S3 server of a run: S3Proxy in this JVM (beside the emulator), or in a JVM of its own
     * ({@code --s3-process}), like a real S3 server, so its heap and GC are not the emulator's.
     */
    private interface S3Endpoint extends AutoCloseable {
        URI endpoint();

        /** The process whose CPU time is the S3 server's (this one when in-process). */
        long pid();

        static S3Endpoint inProcess(Path directory) throws Exception {
            EmbeddedS3 s3 = EmbeddedS3.start("127.0.0.1", 0, directory, S3_ACCESS_KEY, S3_SECRET_KEY);
            s3.ensureBucket(BUCKET);
            return new S3Endpoint() {
                public URI endpoint() {
                    return s3.endpoint();
                }

                public long pid() {
                    return ProcessHandle.current().pid();
                }

                public void close() throws Exception {
                    s3.close();
                }
            };
        }

        static S3Endpoint process(Path directory, ShapedLink link) throws Exception {
            List<String> command = new ArrayList<>();
            if (link != null) {
                command.addAll(List.of("ip", "netns", "exec", link.namespace()));
            }
            command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx" + (directory == null ? "4g" : "512m"), "-cp", System.getProperty("java.class.path"),
                    S3Server.class.getName(), link == null ? "127.0.0.1" : link.farAddress(),
                    directory == null ? "-" : directory.toString()));
            Process server = new ProcessBuilder(command).redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String line;
            URI endpoint = null;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ENDPOINT ")) {
                    endpoint = URI.create(line.substring(9).trim());
                    break;
                }
            }
            if (endpoint == null) {
                server.destroyForcibly();
                throw new IllegalStateException("The S3 server JVM exited before it listened");
            }
            Thread drain = new Thread(() -> out.lines().forEach(ignored -> { }), "s3-server-output");
            drain.setDaemon(true);
            drain.start();
            URI started = endpoint;
            return new S3Endpoint() {
                public URI endpoint() {
                    return started;
                }

                public long pid() {
                    return server.pid();
                }

                public void close() throws Exception {
                    server.destroy();
                    server.waitFor();
                }
            };
        }
    }

    /** {@code --s3-process}: S3Proxy alone in its JVM; arguments: the address to listen on, the store's directory or - for memory. */
    public static final class S3Server {
        public static void main(String[] args) throws Exception {
            Path directory = args[1].equals("-") ? null : Path.of(args[1]);
            EmbeddedS3 s3 = EmbeddedS3.start(args[0], 0, directory, S3_ACCESS_KEY, S3_SECRET_KEY);
            s3.ensureBucket(BUCKET);
            System.out.println("ENDPOINT http://" + args[0] + ":" + s3.port());
            System.out.flush();
            Thread.currentThread().join();
        }
    }

    /**
     * {@code --link-mbit}: a network namespace joined to this one by a veth pair whose both ends are
     * shaped to the given rate (Linux tbf), so the S3 server inside is reached like a store on another
     * host over a link of that speed, instead of over loopback. Needs root and iproute2.
     */
    private record ShapedLink(String namespace, String nearDevice) implements AutoCloseable {
        private static final String NEAR = "10.203.0.1";
        private static final String FAR = "10.203.0.2";

        String farAddress() {
            return FAR;
        }

        static ShapedLink create(int mbit) throws Exception {
            String id = Long.toString(ProcessHandle.current().pid() % 100_000);
            ShapedLink link = new ShapedLink("bench-s3-" + id, "bs3h" + id);
            String far = "bs3n" + id;
            // tbf needs a bucket of at least one timer tick's worth of bytes at the rate.
            String burst = Math.max(256, mbit * 1000 / 8 / 250) + "kb";
            run("ip", "netns", "add", link.namespace);
            try {
                run("ip", "link", "add", link.nearDevice, "type", "veth", "peer", "name", far);
                run("ip", "link", "set", far, "netns", link.namespace);
                run("ip", "addr", "add", NEAR + "/24", "dev", link.nearDevice);
                run("ip", "link", "set", link.nearDevice, "up");
                run("ip", "netns", "exec", link.namespace, "ip", "addr", "add", FAR + "/24", "dev", far);
                run("ip", "netns", "exec", link.namespace, "ip", "link", "set", far, "up");
                run("ip", "netns", "exec", link.namespace, "ip", "link", "set", "lo", "up");
                run("tc", "qdisc", "add", "dev", link.nearDevice, "root", "tbf", "rate", mbit + "mbit", "burst", burst,
                        "latency", "50ms");
                run("ip", "netns", "exec", link.namespace, "tc", "qdisc", "add", "dev", far, "root", "tbf",
                        "rate", mbit + "mbit", "burst", burst, "latency", "50ms");
            } catch (Exception e) {
                link.close();
                throw e;
            }
            return link;
        }

        private static void run(String... command) throws Exception {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (process.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (--link-mbit needs root and iproute2): "
                        + output);
            }
        }

        @Override
        public void close() throws Exception {
            // Deleting the namespace removes the veth pair with it.
            new ProcessBuilder("ip", "netns", "del", namespace).redirectErrorStream(true).start().waitFor();
        }
    }

    /** Inserts documents until their export-JSON size reaches about {@code zipBytes} (they compress very little). */
    static long seed(ConvexEmulator convex, long zipBytes) {
        SplittableRandom random = new SplittableRandom(42);
        long perDocument = PAYLOAD_BYTES + 150;
        long total = zipBytes / perDocument;
        String[] tables = {"events", "files", "messages", "users"};
        long inserted = 0;
        while (inserted < total) {
            long batch = Math.min(5_000, total - inserted);
            long first = inserted;
            convex.store().write(tx -> {
                byte[] payload = new byte[PAYLOAD_BYTES];
                for (long i = first; i < first + batch; i++) {
                    random.nextBytes(payload);
                    ObjectNode doc = JsonNodeFactory.instance.objectNode()
                            .put("name", "document " + i).put("ratio", i / 3.0);
                    doc.set("seq", ConvexValues.int64(i));
                    doc.put("payload", Base64.getEncoder().encodeToString(payload));
                    tx.insert(tables[(int) (i % tables.length)], doc);
                }
                return null;
            });
            inserted += batch;
        }
        return inserted;
    }

    /** Runs in the small-heap JVM: the backup first, then the baselines on the same export and S3. */
    public static final class Measure {
        public static void main(String[] args) throws Exception {
            String convexUrl = args[0];
            String adminKey = args[1];
            URI s3Endpoint = URI.create(args[2]);
            s3Pid = Long.parseLong(args[5]);
            S3Settings settings = new S3Settings(s3Endpoint, "us-east-1", BUCKET, args[3], args[4], true, null, null,
                    Integer.getInteger("bench.partMb", 8) * 1024 * 1024, Integer.getInteger("bench.partsInFlight", 3), true,
                    Long.getLong("bench.singlePutMaxMb", S3Settings.MAX_SINGLE_PUT_MB) * 1024 * 1024);
            Map<String, Object> result = new LinkedHashMap<>();
            try (ConvexClient client = new ConvexClient(ConvexClientConfig.of(convexUrl, adminKey));
                 S3Target target = new S3Target(settings, "bench")) {
                // 1. The backup, timing the stream from the moment the export is ready.
                SnapshotSource convexSource = new ConvexSnapshotSource(client, null, false, Duration.ofMinutes(30));
                long exportStart = System.nanoTime();
                SnapshotSource.Snapshot exported = convexSource.take();
                double exportSeconds = (System.nanoTime() - exportStart) / 1e9;
                warmUp(target);
                warmUpOnTheExport(convexSource, exported, target);
                ReadySnapshot ready = new ReadySnapshot(convexSource, exported);
                BackupService service = new BackupService(target, ready, new RetentionPolicy(Duration.ofDays(30), 7),
                        new BackupMetrics(), Clock.systemUTC());
                resetPeaks();
                ThreadCpu cpu = new ThreadCpu();
                long start = System.nanoTime();
                BackupManifest manifest = service.run();
                long end = System.nanoTime();
                double[] backupCpu = since(ready.cpuAtStart);
                long streamJit = jitMillis() - ready.jitAtStart;
                Map<String, Double> cpuSeconds = cpu.stop();
                result.put("backupThreadCpuSeconds", cpuSeconds);
                System.out.printf("[bench] backup CPU seconds by thread (stream took %.1f s, JIT compiled for %d ms"
                        + " meanwhile): %s%n", (end - ready.streamStartNanos) / 1e9, streamJit, cpuSeconds);
                long bytes = manifest.zip().bytes();
                result.put("zipBytes", (double) bytes);
                result.put("documents", manifest.documents());
                result.put("backupTotalSeconds", exportSeconds + (end - start) / 1e9);
                result.put("backupMBps", mbps(bytes, end - ready.streamStartNanos));
                result.put("backupPeakHeapMB", peakHeapMb());
                // Free the in-memory S3 store before the next phase.
                target.delete(service.layout().key(manifest.snapshotTs(), BackupLayout.Kind.ZIP));
                System.out.printf("[bench] backup %s: %d bytes, %d documents, stream %.1f MB/s, total %.1f s%n",
                        manifest.id(), bytes, manifest.documents(), mbps(bytes, end - ready.streamStartNanos),
                        exportSeconds + (end - start) / 1e9);

                // 2. Raw download of the same export to /dev/null.
                resetPeaks();
                double[] cpuBefore = processCpu();
                start = System.nanoTime();
                long downloaded;
                try (InputStream zip = client.openExportStream(manifest.snapshotTs())) {
                    downloaded = zip.transferTo(OutputStream.nullOutputStream());
                }
                end = System.nanoTime();
                double[] downloadCpu = since(cpuBefore);
                result.put("downloadMBps", mbps(downloaded, end - start));
                result.put("downloadPeakHeapMB", peakHeapMb());

                // 3. Plain upload of the same size: one PutObject with a known length.
                S3Client s3 = target.client();
                cpuBefore = processCpu();
                start = System.nanoTime();
                s3.putObject(b -> b.bucket(BUCKET).key("baseline/plain-put").contentLength(bytes),
                        RequestBody.fromContentProvider(() -> generated(bytes), bytes, "application/octet-stream"));
                end = System.nanoTime();
                double[] plainPutCpu = since(cpuBefore);
                result.put("plainPutMBps", mbps(bytes, end - start));
                // CPU seconds per GB of ZIP in this JVM, the emulator's and the S3 server's: on a small machine the
                // backup, which downloads, parses and uploads at once, competes with both servers.
                double gb = bytes / 1e9;
                System.out.printf("[bench] CPU s per GB (%s): backup stream %s, download %s, plain PUT %s%n",
                        separateS3() ? "backup JVM + emulator JVM + S3 JVM" : "backup JVM + S3Proxy/emulator JVM",
                        perGb(backupCpu, gb), perGb(downloadCpu, gb), perGb(plainPutCpu, gb));
                result.put("cpuSecondsPerGb", Map.of("backup", perGbList(backupCpu, gb),
                        "download", perGbList(downloadCpu, gb), "plainPut", perGbList(plainPutCpu, gb)));
                s3.deleteObject(b -> b.bucket(BUCKET).key("baseline/plain-put"));

                // 4. The same multipart uploader fed from memory: upload alone, no download, hash or ZIP parsing.
                cpuBefore = processCpu();
                start = System.nanoTime();
                // Size unannounced (-1), so the target uses multipart whatever its single-PUT limit.
                try (ObjectUpload upload = target.beginUpload("baseline/multipart", -1); InputStream in = generated(bytes)) {
                    in.transferTo(upload);
                    upload.complete();
                }
                end = System.nanoTime();
                result.put("multipartMBps", mbps(bytes, end - start));
                System.out.printf("[bench] CPU s per GB of the multipart upload from memory: %s%n", perGb(since(cpuBefore), gb));
                target.delete("baseline/multipart");

                // 5. Comparison: the same backup through the other upload path (single PUT <-> multipart).
                if (Boolean.getBoolean("bench.compareUploads")) {
                    boolean otherIsSinglePut = settings.singlePutMaxBytes() == 0;
                    ReadySnapshot readyAgain = new ReadySnapshot(convexSource, exported);
                    S3Settings multipartOnly = new S3Settings(settings.endpoint(), settings.region(), settings.bucket(),
                            settings.accessKey(), settings.secretKey(), true, null, null, settings.partSizeBytes(),
                            settings.partsInFlight(), true, otherIsSinglePut ? S3Settings.MAX_SINGLE_PUT : 0);
                    try (S3Target multipartTarget = new S3Target(multipartOnly, "bench-multipart")) {
                        BackupService multipart = new BackupService(multipartTarget, readyAgain,
                                new RetentionPolicy(Duration.ofDays(30), 7), new BackupMetrics(), Clock.systemUTC());
                        BackupManifest again = multipart.run();
                        end = System.nanoTime();
                        double[] againCpu = since(readyAgain.cpuAtStart);
                        result.put(otherIsSinglePut ? "singlePutBackupMBps" : "multipartBackupMBps",
                                mbps(again.zip().bytes(), end - readyAgain.streamStartNanos));
                        System.out.printf("[bench] comparison: the same backup through %s: %.1f MB/s,"
                                        + " CPU s per GB %s%n", otherIsSinglePut ? "one streaming PUT" : "multipart",
                                mbps(again.zip().bytes(), end - readyAgain.streamStartNanos), perGb(againCpu, gb));
                    }
                }
                result.put("peakRssMB", peakRssMb());
            }
            System.out.println("RESULT " + JSON.writeValueAsString(result));
        }

        /**
         * The snapshot exported once before measuring, opened again for each measured backup (as a
         * retried attempt does), noting when its stream starts: the export itself is Convex's time.
         */
        static final class ReadySnapshot implements SnapshotSource {
            private final SnapshotSource convex;
            private final Snapshot exported;
            long streamStartNanos;
            double[] cpuAtStart;
            long jitAtStart;

            ReadySnapshot(SnapshotSource convex, Snapshot exported) {
                this.convex = convex;
                this.exported = exported;
            }

            @Override
            public Snapshot take() throws Exception {
                Snapshot snapshot = convex.reopen(exported).orElseThrow();
                streamStartNanos = System.nanoTime();
                cpuAtStart = processCpu();
                jitAtStart = jitMillis();
                return snapshot;
            }

            @Override
            public String instance() {
                return convex.instance();
            }

            @Override
            public String sourceUrl() {
                return convex.sourceUrl();
            }
        }

        /**
         * Streams the real export into S3 through the backup's own pieces, unmeasured, so the measured
         * backup runs compiled code (a pipeline backs up daily in a JVM that has done it before): up to
         * 300 MB in all, at least once.
         */
        private static void warmUpOnTheExport(SnapshotSource convex, SnapshotSource.Snapshot exported, S3Target target)
                throws Exception {
            long rounds = Math.max(1, Math.min(3, 300_000_000L / Math.max(1, exported.expectedBytes())));
            for (int round = 0; round < rounds; round++) {
                // The first round reads the download take() opened; later ones open it again.
                SnapshotSource.Snapshot again = round == 0 ? exported : convex.reopen(exported).orElseThrow();
                try (InputStream zip = again.zip(); ObjectUpload upload = target.beginUpload("warmup/export.zip",
                        again.expectedBytes())) {
                    SnapshotScanner.scan(zip, upload, false);
                    upload.complete();
                }
                target.delete("warmup/export.zip");
            }
        }

        /** Samples the CPU time of this JVM's threads, grouped by name, to show which stage is busy. */
        static final class ThreadCpu {
            private final java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            private final Map<Long, Long> first = new java.util.concurrent.ConcurrentHashMap<>();
            private final Map<Long, Long> last = new java.util.concurrent.ConcurrentHashMap<>();
            private final Map<Long, String> names = new java.util.concurrent.ConcurrentHashMap<>();
            private final Thread sampler;
            private volatile boolean running = true;

            ThreadCpu() {
                // Threads alive now count from now; threads started later count from zero.
                for (long id : threads.getAllThreadIds()) {
                    long cpu = threads.getThreadCpuTime(id);
                    if (cpu >= 0) {
                        first.put(id, cpu);
                    }
                }
                sample();
                sampler = new Thread(() -> {
                    while (running) {
                        sample();
                        try {
                            // The sampling period of the CPU figures, not a wait for a condition.
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "bench-cpu-sampler");
                sampler.setDaemon(true);
                sampler.start();
            }

            private void sample() {
                for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
                    if (info == null) {
                        continue;
                    }
                    long cpu = threads.getThreadCpuTime(info.getThreadId());
                    if (cpu >= 0) {
                        first.putIfAbsent(info.getThreadId(), 0L);
                        last.put(info.getThreadId(), cpu);
                        names.put(info.getThreadId(), info.getThreadName().replaceAll("-\\d+$", "-*"));
                    }
                }
            }

            Map<String, Double> stop() throws InterruptedException {
                running = false;
                sampler.join();
                sample();
                Map<String, Double> byName = new java.util.TreeMap<>();
                last.forEach((id, cpu) -> byName.merge(names.get(id), (cpu - first.getOrDefault(id, 0L)) / 1e9, Double::sum));
                byName.values().removeIf(v -> v < 0.05);
                byName.replaceAll((k, v) -> Math.round(v * 10) / 10.0);
                return byName;
            }
        }

        /** Compiles the hot paths (JIT) before measuring, so a 100 MB run is not measured mostly in the interpreter. */
        private static void warmUp(S3Target target) throws IOException {
            Path zip = Files.createTempFile("warmup-", ".zip");
            try {
                try (java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
                    out.putNextEntry(new java.util.zip.ZipEntry("warm/documents.jsonl"));
                    SplittableRandom random = new SplittableRandom(3);
                    byte[] payload = new byte[PAYLOAD_BYTES];
                    for (int i = 0; i < 4_000; i++) {
                        random.nextBytes(payload);
                        out.write(("{\"_id\":\"w" + i + "\",\"payload\":\"" + Base64.getEncoder().encodeToString(payload)
                                + "\"}\n").getBytes(StandardCharsets.UTF_8));
                    }
                }
                for (int round = 0; round < 4; round++) {
                    // Both upload paths: size announced (single PUT, what the backup uses) and unknown (multipart).
                    long announced = round % 2 == 0 ? Files.size(zip) : -1;
                    try (InputStream in = Files.newInputStream(zip);
                         ObjectUpload upload = target.beginUpload("warmup/snapshot.zip", announced)) {
                        SnapshotScanner.scan(in, upload, false);
                        upload.complete();
                    }
                }
            } finally {
                Files.deleteIfExists(zip);
            }
        }

        private static InputStream generated(long length) {
            byte[] block = new byte[1 << 20];
            new SplittableRandom(7).nextBytes(block);
            return new InputStream() {
                private long left = length;

                @Override
                public int read() {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    if (left <= 0) {
                        return -1;
                    }
                    int n = (int) Math.min(Math.min(len, left), block.length - (int) ((length - left) % block.length));
                    System.arraycopy(block, (int) ((length - left) % block.length), b, off, n);
                    left -= n;
                    return n;
                }
            };
        }

        private static long s3Pid = -1;

        /** Time this JVM's JIT compilers have spent so far: compiling during the measured stream is warm-up, not the backup. */
        private static long jitMillis() {
            java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
        }

        private static long parentPid() {
            return ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
        }

        private static boolean separateS3() {
            return s3Pid > 0 && s3Pid != parentPid();
        }

        /**
         * CPU seconds used so far by this JVM, by its parent (the driver JVM hosting the emulator, and
         * S3Proxy unless it runs apart) and by the S3 server's JVM when it has its own.
         */
        private static double[] processCpu() {
            double self = cpuSeconds(ProcessHandle.current().pid());
            double parent = cpuSeconds(parentPid());
            return separateS3() ? new double[] {self, parent, cpuSeconds(s3Pid)} : new double[] {self, parent};
        }

        private static double[] since(double[] before) {
            double[] now = processCpu();
            double[] used = new double[now.length];
            for (int i = 0; i < now.length; i++) {
                used[i] = now[i] - before[i];
            }
            return used;
        }

        private static List<Double> perGbList(double[] cpu, double gb) {
            return java.util.Arrays.stream(cpu).map(c -> Math.round(c / gb * 10) / 10.0).boxed().toList();
        }

        private static String perGb(double[] cpu, double gb) {
            return String.join(" + ", perGbList(cpu, gb).stream().map(String::valueOf).toList());
        }

        /** utime + stime from /proc/<pid>/stat (clock ticks of 1/100 s), or NaN where unavailable. */
        private static double cpuSeconds(long pid) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
            } catch (IOException | RuntimeException e) {
                return Double.NaN;
            }
        }

        private static double mbps(long bytes, long nanos) {
            return bytes / 1e6 / (nanos / 1e9);
        }

        private static void resetPeaks() {
            System.gc();
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                pool.resetPeakUsage();
            }
        }

        private static double peakHeapMb() {
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            return peak / 1e6;
        }

        private static double peakRssMb() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1000.0;
                }
            }
            return -1;
        }
    }
}

package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.BackupLayout;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.backup.SnapshotScanner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Restores the state at a moment: plan (base + segments), materialize the snapshot ZIP as a stream,
 * import it into a {@link RestoreTarget}, then read the target back and compare every restored
 * table's document count and digest with what was written.
 */
public final class RestoreService {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreService.class);
    private static final int PIPE_BUFFER = 1024 * 1024;

    private final RestorePlanner planner;
    private final Materializer materializer;

    public RestoreService(BackupTarget storage, BackupLayout layout, Path spillDirectory) {
        this.planner = new RestorePlanner(storage, layout);
        this.materializer = new Materializer(storage, spillDirectory);
    }

    public RestorePlanner planner() {
        return planner;
    }

    /**
     * What a restore did (or, for a dry run, would produce).
     *
     * @param differences tables whose count or digest read back differs (empty when verified or a dry run)
     */
    public record Report(RestorePlan plan, Materializer.Result written, boolean dryRun, String target, Long imported,
                         Map<String, SnapshotScanner.TableStats> readBack, List<String> differences, long millis,
                         long importMillis, long verifyMillis) {
        public boolean verified() {
            return !dryRun && differences.isEmpty();
        }
    }

    /** The plan and the per-table counts the restore would produce; reads the storage, writes nothing. */
    public Report dryRun(long atTs, Set<String> tables) throws IOException {
        long started = System.nanoTime();
        RestorePlan plan = planner.plan(atTs);
        Materializer.Result result = materializer.write(plan, tables, OutputStream.nullOutputStream());
        return new Report(plan, result, true, null, null, null, List.of(), (System.nanoTime() - started) / 1_000_000, 0, 0);
    }

    public Report restore(long atTs, Set<String> tables, RestoreTarget target) throws Exception {
        long started = System.nanoTime();
        RestorePlan plan = planner.plan(atTs);
        LOG.info("Restoring {} as of {} from base backup {} and {} change segment(s)", target.describe(),
                ChangeCatalog.iso(atTs), plan.base().id(), plan.segments().size());
        Materializer.Result written;
        long imported;
        try (MaterializedSnapshot snapshot = open(plan, tables)) {
            try {
                imported = target.importSnapshot(snapshot.stream(), tables == null);
            } catch (Exception e) {
                snapshot.rethrowFailure();
                throw e;
            }
            written = snapshot.awaitResult();
        }
        long importedAt = System.nanoTime();
        Map<String, SnapshotScanner.TableStats> readBack = target.readBack();
        long verifiedAt = System.nanoTime();
        List<String> differences = compare(written.tables(), readBack, tables == null);
        Report report = new Report(plan, written, false, target.describe(), imported, readBack, differences,
                (verifiedAt - started) / 1_000_000, (importedAt - started) / 1_000_000, (verifiedAt - importedAt) / 1_000_000);
        if (differences.isEmpty()) {
            LOG.info("Restore of {} as of {} verified: {} tables, {} documents", target.describe(),
                    ChangeCatalog.iso(atTs), written.tables().size(), written.documents());
        } else {
            LOG.error("Restore of {} as of {} does not read back as written: {}", target.describe(),
                    ChangeCatalog.iso(atTs), differences);
        }
        return report;
    }

    /**
     * The snapshot ZIP of the state at {@code atTs}, as a stream being written by a background thread:
     * what a migration takes as its source ({@code migrate run --from <time>}). Read {@link
     * MaterializedSnapshot#stream()} to its end, then {@link MaterializedSnapshot#awaitResult()} gives the
     * per-table counts and digests to verify the target against.
     */
    public MaterializedSnapshot open(long atTs, Set<String> tables) throws IOException {
        return open(planner.plan(atTs), tables);
    }

    private MaterializedSnapshot open(RestorePlan plan, Set<String> tables) {
        return new MaterializedSnapshot(plan, tables, materializer);
    }

    /** A snapshot being materialized into a pipe; closing it stops the writer if the reader gave up. */
    public static final class MaterializedSnapshot implements AutoCloseable {
        private final RestorePlan plan;
        private final AtomicReference<Materializer.Result> written = new AtomicReference<>();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final FailingPipe pipeIn;
        private final Thread producer;

        MaterializedSnapshot(RestorePlan plan, Set<String> tables, Materializer materializer) {
            this.plan = plan;
            PipedOutputStream pipeOut = new PipedOutputStream();
            pipeIn = new FailingPipe(pipeOut, failure);
            producer = new Thread(() -> {
                try {
                    written.set(materializer.write(plan, tables, pipeOut));
                    pipeOut.close();
                } catch (Throwable e) {
                    failure.set(e);
                    try {
                        pipeOut.close();
                    } catch (IOException ignored) {
                        // the reader sees the failure instead of the end of the stream
                    }
                }
            }, "restore-materializer");
            producer.setDaemon(true);
            producer.start();
        }

        public RestorePlan plan() {
            return plan;
        }

        public InputStream stream() {
            return pipeIn;
        }

        /** Waits for the writer; its counts and digests, or its failure. */
        public Materializer.Result awaitResult() throws IOException, InterruptedException {
            producer.join();
            rethrowFailure();
            return written.get();
        }

        void rethrowFailure() throws IOException {
            if (failure.get() != null) {
                throw new IOException("Building the snapshot failed: " + failure.get().getMessage(), failure.get());
            }
        }

        @Override
        public void close() throws IOException, InterruptedException {
            pipeIn.close();
            producer.join();
        }
    }

    static List<String> compare(Map<String, SnapshotScanner.TableStats> written, Map<String, SnapshotScanner.TableStats> readBack,
                                boolean everyTable) {
        List<String> differences = new ArrayList<>();
        Map<String, SnapshotScanner.TableStats> expected = new LinkedHashMap<>(written);
        expected.forEach((table, stats) -> {
            SnapshotScanner.TableStats actual = readBack.get(table);
            if (actual == null && stats.documents() == 0) {
                return; // an empty table may be absent from an export
            }
            if (actual == null) {
                differences.add(table + ": missing in the target (expected " + stats.documents() + " documents)");
            } else if (actual.documents() != stats.documents()) {
                differences.add(table + ": " + actual.documents() + " documents, expected " + stats.documents());
            } else if (!actual.digest().equals(stats.digest())) {
                differences.add(table + ": digest " + actual.digest() + ", expected " + stats.digest());
            }
        });
        if (everyTable) {
            readBack.forEach((table, stats) -> {
                if (!expected.containsKey(table) && stats.documents() > 0) {
                    differences.add(table + ": " + stats.documents() + " documents that the restored state does not have");
                }
            });
        }
        return differences;
    }

    /** A pipe whose reader fails (instead of seeing a clean end) when the writer failed. */
    private static final class FailingPipe extends PipedInputStream {
        private final AtomicReference<Throwable> failure;

        FailingPipe(PipedOutputStream source, AtomicReference<Throwable> failure) {
            super(PIPE_BUFFER);
            this.failure = failure;
            try {
                connect(source);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public synchronized int read() throws IOException {
            int value = super.read();
            check(value < 0);
            return value;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            check(n < 0);
            return n;
        }

        private void check(boolean atEnd) throws IOException {
            if (atEnd && failure.get() != null) {
                throw new IOException("the snapshot being restored could not be built: " + failure.get().getMessage());
            }
        }
    }

}

package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.BackupLayout;
import dev.convexpipeline.backup.BackupTarget;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The state at a moment: plan (base + segments) and materialize it as a snapshot ZIP stream. Importing
 * and verifying it is the migration engine's work ({@code migrate run --from <time>}, which
 * {@code restore} sends its runs through), so a restore has a journal, a rollback point and resume.
 */
public final class RestoreService {
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

    /** What a restore would produce: the plan and the per-table counts and digests of the state. */
    public record Report(RestorePlan plan, Materializer.Result written, long millis) {
    }

    /** The plan and the per-table counts the restore would produce; reads the storage, writes nothing. */
    public Report dryRun(long atTs, Set<String> tables) throws IOException {
        long started = System.nanoTime();
        RestorePlan plan = planner.plan(atTs);
        Materializer.Result result = materializer.write(plan, tables, OutputStream.nullOutputStream());
        return new Report(plan, result, (System.nanoTime() - started) / 1_000_000);
    }

    /**
     * The snapshot ZIP of the state at {@code atTs}, as a stream being written by a background thread:
     * what a migration takes as its source ({@code migrate run --from <time>}). Read {@link
     * MaterializedSnapshot#stream()} to its end, then {@link MaterializedSnapshot#awaitResult()} gives the
     * per-table counts and digests to verify the target against.
     */
    public MaterializedSnapshot open(long atTs, Set<String> tables) throws IOException {
        return new MaterializedSnapshot(planner.plan(atTs), tables, materializer);
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

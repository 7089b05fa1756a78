package dev.convexpipeline.migration;

import dev.convexpipeline.backup.SnapshotSource;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ImportOptions;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.LongConsumer;

/**
 * A live source's export, read once: the backup service stores it (hashing and counting every
 * table) while the same bytes are uploaded to the target as an import. The upload is only
 * uploaded, not confirmed: the target applies nothing until the stored copy has been checked
 * against its manifest, so a broken download or a failed store leaves the target untouched.
 */
final class StreamingImport implements SnapshotSource {
    private static final int PIPE_BYTES = 1 << 20;

    private final SnapshotSource export;
    private final ConvexClient target;
    private final ImportOptions options;
    private final Set<String> tables;
    private final LongConsumer partSent;
    private CompletableFuture<String> upload;
    private PipedOutputStream toTarget;
    private volatile boolean aborted;

    StreamingImport(SnapshotSource export, ConvexClient target, ImportOptions options, Set<String> tables, LongConsumer partSent) {
        this.export = export;
        this.target = target;
        this.options = options;
        this.tables = tables;
        this.partSent = partSent;
    }

    @Override
    public Snapshot take() throws Exception {
        Snapshot snapshot = export.take();
        PipedInputStream piped = new PipedInputStream(PIPE_BYTES);
        toTarget = new PipedOutputStream(piped);
        // An export that stops early must fail the upload, not end it: a cut ZIP is never finished as an import.
        InputStream fromExport = new FilterInputStream(piped) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return checked(super.read(b, off, len));
            }

            @Override
            public int read() throws IOException {
                return checked(super.read());
            }

            private int checked(int n) throws IOException {
                if (n < 0 && aborted) {
                    throw new IOException("the export stopped before its end; nothing of it is imported");
                }
                return n;
            }
        };
        InputStream uploaded = tables.isEmpty() ? fromExport : ZipTableFilter.filter(fromExport, tables);
        upload = CompletableFuture.supplyAsync(() -> {
            try (uploaded) {
                return target.uploadImport(uploaded, options, partSent);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, runnable -> {
            Thread thread = new Thread(runnable, "migration-upload");
            thread.setDaemon(true);
            thread.start();
        });
        return new Snapshot(snapshot.snapshotTs(), snapshot.sourceUrl(), snapshot.instance(), snapshot.includesFileStorage(),
                snapshot.expectedBytes(), new Tee(snapshot.zip()));
    }

    /** A stream cannot be replayed into a half-sent upload: a failed attempt fails the step (resume starts it again). */
    @Override
    public Optional<Snapshot> reopen(Snapshot taken) {
        return Optional.empty();
    }

    /** Waits for the upload to finish and returns the target's import id (uploaded, not confirmed). */
    String importId() throws IOException {
        try {
            return upload.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the upload to the target finished", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof java.io.UncheckedIOException io ? io.getCause() : e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException(cause.getMessage(), cause);
        }
    }

    @Override
    public String instance() {
        return export.instance();
    }

    @Override
    public String sourceUrl() {
        return export.sourceUrl();
    }

    /** Hands every byte the backup reads to the upload as well; the end of the export ends the upload. */
    private final class Tee extends FilterInputStream {
        private boolean ended;

        Tee(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            try {
                if (n > 0) {
                    toTarget.write(b, off, n);
                } else if (n < 0 && !ended) {
                    ended = true;
                    toTarget.close();
                }
            } catch (IOException e) {
                throw new IOException("the upload to the target stopped: " + uploadFailure(e), e);
            }
            return n;
        }

        private String uploadFailure(IOException pipe) {
            if (upload.isCompletedExceptionally()) {
                try {
                    importId();
                } catch (Exception failure) {
                    return dev.convexpipeline.OperatorMessages.describe(failure);
                }
            }
            return pipe.getMessage();
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } finally {
                aborted = !ended;
                toTarget.close();
            }
        }
    }
}

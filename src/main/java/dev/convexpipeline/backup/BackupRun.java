package dev.convexpipeline.backup;

import java.time.Instant;

/**
 * One backup between its steps (export → stream into storage while hashing → manifest): what each
 * step produced so far. It travels as the exchange body of {@code routes/backup.camel.yaml}; it holds
 * the snapshot's stream, never its bytes, and {@link #toString()} shows only the label.
 * {@link #close()} ends the run (lets the next one start), whatever its outcome.
 */
public final class BackupRun implements AutoCloseable {
    final Instant started;
    String label;
    SnapshotSource.Snapshot snapshot;
    SnapshotScanner.Result scanned;
    BackupManifest manifest;
    private final Runnable end;
    private boolean ended;

    BackupRun(Instant started, String label, Runnable end) {
        this.started = started;
        this.label = label;
        this.end = end;
    }

    /** The backup id (the snapshot timestamp) once exported, else null. */
    public String id() {
        return snapshot == null ? null : Long.toString(snapshot.snapshotTs());
    }

    /** The manifest, once written. */
    public BackupManifest manifest() {
        return manifest;
    }

    @Override
    public synchronized void close() {
        if (!ended) {
            ended = true;
            end.run();
        }
    }

    @Override
    public String toString() {
        return "backup " + label;
    }
}

package dev.convexpipeline.backup;

import java.io.InputStream;
import java.util.Optional;

/** Produces a fresh snapshot ZIP to back up (from Convex in production: {@link ConvexSnapshotSource}). */
public interface SnapshotSource {

    /**
     * An export ready to be read.
     *
     * @param snapshotTs          the snapshot timestamp (ns since the epoch)
     * @param sourceUrl           deployment URL (no credentials)
     * @param instance            deployment instance name
     * @param includesFileStorage whether file storage is in the ZIP
     * @param expectedBytes       ZIP size if the server announced it, else -1
     * @param zip                 the ZIP bytes, read once; the caller closes it
     */
    record Snapshot(long snapshotTs, String sourceUrl, String instance, boolean includesFileStorage,
                    long expectedBytes, InputStream zip) {
    }

    /** Requests a snapshot, waits until it exists and opens it for streaming. */
    Snapshot take() throws Exception;

    /**
     * Opens the same snapshot again after a failed attempt (Convex keeps a completed export), or
     * empty when this source cannot, in which case the backup fails with the attempt's error.
     */
    default Optional<Snapshot> reopen(Snapshot taken) throws Exception {
        return Optional.empty();
    }

    /** The deployment's instance name, which names the backup folder. */
    String instance();

    /** The deployment URL, for messages and the manifest. */
    String sourceUrl();
}

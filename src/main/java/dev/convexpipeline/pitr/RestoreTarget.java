package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.SnapshotScanner;

import java.io.InputStream;
import java.util.Map;

/**
 * Where a restore writes, and how it reads back what it wrote. The seam the migration engine takes
 * over: its import (with preflight, rollback point, journal and resume) and its verification
 * implement these two calls, and {@link RestoreService} stays as it is.
 */
public interface RestoreTarget {
    /** The deployment, for messages (never carries a key). */
    String describe();

    /**
     * Replaces the deployment's data with the snapshot ZIP read from {@code zip} (to its end).
     *
     * @param everyTable true: tables absent from the ZIP are cleared (a full restore); false: only
     *                   the tables in the ZIP are replaced ({@code --tables})
     * @return documents the deployment reports written
     */
    long importSnapshot(InputStream zip, boolean everyTable) throws Exception;

    /** Per user table, the documents and {@link dev.convexpipeline.backup.TableDigest} the deployment now holds. */
    Map<String, SnapshotScanner.TableStats> readBack() throws Exception;
}

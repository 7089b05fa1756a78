package dev.convexpipeline.convex;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How {@link ConvexClient#importSnapshot} imports a file.
 *
 * @param format         file format
 * @param mode           what to do with existing documents
 * @param tableName      destination table; required for every format but ZIP, forbidden for ZIP
 * @param confirmDeletes allow an import that deletes existing documents (replace modes over
 *                       non-empty tables); without it such an import is canceled and fails
 * @param partSize       upload part size in bytes (at least 5 MiB); also the client's memory bound
 * @param timeout        how long to wait for the server to finish importing
 * @param pollInterval   longest pause between status polls
 * @param progress       receives checkpoint and progress messages, e.g. {@code Imported "users" (10 documents)}
 */
public record ImportOptions(ImportFormat format, ImportMode mode, String tableName, boolean confirmDeletes,
                            int partSize, Duration timeout, Duration pollInterval, Consumer<String> progress) {
    /** Same minimum as S3 multipart parts and the Convex CLI's default chunk. */
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;

    public ImportOptions {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(pollInterval, "pollInterval");
        if (format.needsTableName() && (tableName == null || tableName.isBlank())) {
            throw new IllegalArgumentException(format.wireName() + " import needs a destination table name");
        }
        if (!format.needsTableName() && tableName != null) {
            throw new IllegalArgumentException("ZIP import cannot have a table name (got " + tableName
                    + "); the tables come from the archive");
        }
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("partSize must be at least " + MIN_PART_SIZE + " bytes, got " + partSize);
        }
        if (progress == null) {
            progress = message -> { };
        }
    }

    /** A ZIP snapshot import with default part size, a 30-minute timeout and no deletes allowed. */
    public static ImportOptions zip(ImportMode mode) {
        return new ImportOptions(ImportFormat.ZIP, mode, null, false, MIN_PART_SIZE, Duration.ofMinutes(30),
                Duration.ofSeconds(1), null);
    }

    /** A single-table import with default part size, a 30-minute timeout and no deletes allowed. */
    public static ImportOptions table(ImportFormat format, String tableName, ImportMode mode) {
        return new ImportOptions(format, mode, tableName, false, MIN_PART_SIZE, Duration.ofMinutes(30),
                Duration.ofSeconds(1), null);
    }

    public ImportOptions withConfirmDeletes(boolean confirm) {
        return new ImportOptions(format, mode, tableName, confirm, partSize, timeout, pollInterval, progress);
    }

    public ImportOptions withPartSize(int bytes) {
        return new ImportOptions(format, mode, tableName, confirmDeletes, bytes, timeout, pollInterval, progress);
    }

    public ImportOptions withTimeout(Duration wait) {
        return new ImportOptions(format, mode, tableName, confirmDeletes, partSize, wait, pollInterval, progress);
    }

    public ImportOptions withPollInterval(Duration interval) {
        return new ImportOptions(format, mode, tableName, confirmDeletes, partSize, timeout, interval, progress);
    }

    public ImportOptions withProgress(Consumer<String> listener) {
        return new ImportOptions(format, mode, tableName, confirmDeletes, partSize, timeout, pollInterval, listener);
    }
}

package dev.convexpipeline.migration;

/**
 * Where a migration stands. Only {@link #VERIFIED} means the target holds the snapshot; every
 * other state, including one a killed process left behind, is unfinished or failed.
 */
public enum MigrationStatus {
    /** Preflight passed; the journal exists, nothing is written to the target yet. */
    PLANNED,
    /** --dry-run: the plan was printed; this journal is never stored. */
    DRY_RUN,
    SNAPSHOT_STORED,
    ROLLBACK_POINT_STORED,
    /** Parts are being sent; a process killed here is resumed from the snapshot in storage. */
    UPLOADING,
    /** Uploaded and recorded, not yet confirmed: the server has applied nothing. */
    UPLOADED,
    /** Confirmed: the server is writing; resume waits for it and never uploads again. */
    IMPORTING,
    IMPORTED,
    VERIFIED,
    DIFFERENT,
    FAILED,
    ROLLED_BACK,
    ROLLBACK_DIFFERENT;

    /** A state after which resume has nothing to do. */
    public boolean finished() {
        return this == VERIFIED || this == DIFFERENT || this == DRY_RUN || this == ROLLED_BACK || this == ROLLBACK_DIFFERENT;
    }
}

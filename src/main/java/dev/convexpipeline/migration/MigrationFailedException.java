package dev.convexpipeline.migration;

/** A migration step failed after the migration started; the journal records where, and resume continues. */
public class MigrationFailedException extends RuntimeException {
    public MigrationFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}

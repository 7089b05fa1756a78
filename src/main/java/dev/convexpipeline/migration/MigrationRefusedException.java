package dev.convexpipeline.migration;

/** A migration stopped before writing anything to the target; the message is the one-line reason. */
public class MigrationRefusedException extends RuntimeException {
    public MigrationRefusedException(String message) {
        super(message);
    }

    public MigrationRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}

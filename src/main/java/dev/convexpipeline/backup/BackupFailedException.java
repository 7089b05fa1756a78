package dev.convexpipeline.backup;

/** A backup run failed; the message names the backup, what failed and what to check. Nothing half was left behind. */
public class BackupFailedException extends RuntimeException {
    public BackupFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}

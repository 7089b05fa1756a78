package dev.convexpipeline.backup;

/** No backup has the requested id (or there is no backup at all for {@code latest}). */
public class BackupNotFoundException extends IllegalArgumentException {
    public BackupNotFoundException(String message) {
        super(message);
    }
}

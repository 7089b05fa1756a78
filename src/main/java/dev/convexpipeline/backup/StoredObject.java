package dev.convexpipeline.backup;

import java.time.Instant;

/** One complete object of a {@link BackupTarget}: key relative to the target root, size and modification time. */
public record StoredObject(String key, long size, Instant lastModified) {
}

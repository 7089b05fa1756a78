package dev.convexpipeline.backup;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;

/**
 * Where backups are stored: an S3 bucket ({@link S3Target}) or a local directory
 * ({@link LocalDirectoryTarget}). Keys are relative to the target's root (bucket + prefix, or the
 * directory) and use {@code /} as separator. An object becomes visible to {@link #list} and
 * {@link #open} only when complete: a failed or aborted upload leaves nothing that looks whole.
 */
public interface BackupTarget extends AutoCloseable {

    /** Where this target writes, for messages and the manifest (never carries credentials). */
    String describe();

    /** Where the object {@code key} really is: the bucket key with the prefix (S3) or the file path (directory). */
    default String location(String key) {
        return key;
    }

    /**
     * Starts writing {@code key} from a stream of unknown length. Nothing is visible until
     * {@link ObjectUpload#complete()}; {@link ObjectUpload#abort()} discards what was written.
     *
     * @param expectedBytes the size if known in advance, else -1; S3 then streams one {@code PutObject}
     *                      of that length (which fails unless exactly that many bytes are written) or
     *                      sizes its parts by it
     */
    ObjectUpload beginUpload(String key, long expectedBytes) throws IOException;

    /** Writes a small object (manifest, marker) in one request; visible whole or not at all. */
    void put(String key, byte[] content, String contentType) throws IOException;

    /** Opens a complete object for reading. */
    InputStream open(String key) throws IOException;

    /** Every complete object whose key starts with {@code prefix}, in no particular order. */
    List<StoredObject> list(String prefix) throws IOException;

    /** Deletes {@code key}; deleting a missing key is not an error. */
    void delete(String key) throws IOException;

    /** Something a killed run left behind that no reader can see but that still takes space. */
    interface Leftover {
        String describe();

        void discard() throws IOException;
    }

    /**
     * Uploads under {@code prefix} that started before {@code startedBefore} and never completed
     * (the process died before it could abort them): multipart uploads on S3, partial files locally.
     */
    default List<Leftover> leftovers(String prefix, Instant startedBefore) throws IOException {
        return List.of();
    }

    @Override
    default void close() {
    }
}

package dev.convexpipeline.emulator.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * The bodies of stored files, one file per storage id under the emulator's directory (so a
 * {@code --data-dir} keeps them); their metadata lives in the {@code _storage} table. Enough for
 * snapshots with file storage to round-trip through import and export, checked by sha256.
 */
public final class FileStorage {
    /** The table that holds the metadata, as the backend names it. */
    public static final String TABLE = "_storage";
    private static final Pattern STORAGE_ID = Pattern.compile("[0-9a-z]{16,64}");

    private final Path directory;

    public FileStorage(Path directory) {
        this.directory = directory;
    }

    /** What storing a body measured: its size and base64 sha256, as {@code _storage} records them. */
    public record Stored(long size, String sha256) {
    }

    /** Writes a body (complete or not at all) and measures it. */
    public Stored store(String storageId, InputStream body) throws IOException {
        Path target = file(storageId);
        Files.createDirectories(directory);
        Path partial = Files.createTempFile(directory, storageId, ".partial");
        try {
            MessageDigest sha256 = sha256();
            long size;
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(partial), sha256)) {
                size = body.transferTo(out);
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return new Stored(size, Base64.getEncoder().encodeToString(sha256.digest()));
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    public InputStream open(String storageId) throws IOException {
        return Files.newInputStream(file(storageId));
    }

    public boolean exists(String storageId) {
        return Files.isRegularFile(file(storageId));
    }

    public void delete(String storageId) {
        try {
            Files.deleteIfExists(file(storageId));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete stored file " + storageId + " in " + directory, e);
        }
    }

    private Path file(String storageId) {
        if (!STORAGE_ID.matcher(storageId).matches()) {
            throw new IllegalArgumentException("Not a storage id: " + storageId);
        }
        return directory.resolve(storageId);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JVM has no SHA-256", e);
        }
    }
}

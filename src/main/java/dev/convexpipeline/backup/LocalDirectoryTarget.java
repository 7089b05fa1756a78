package dev.convexpipeline.backup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Backups in a local directory (the embedded default, {@code file:backups}). Every object is
 * written to a hidden temporary name beside its final name, flushed to disk and atomically
 * renamed, so a crash or a failure never leaves a file that looks complete. Hidden files
 * ({@code .*}) are never listed.
 */
public final class LocalDirectoryTarget implements BackupTarget {
    private static final Logger LOG = LoggerFactory.getLogger(LocalDirectoryTarget.class);
    static final String PARTIAL_MARK = ".partial-";

    private final Path root;

    public LocalDirectoryTarget(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    @Override
    public String describe() {
        return "file:" + root;
    }

    @Override
    public String location(String key) {
        return root.resolve(key).toString();
    }

    @Override
    public ObjectUpload beginUpload(String key, long expectedBytes) throws IOException {
        Path target = resolve(key);
        Files.createDirectories(target.getParent());
        Path temp = temporaryFor(target);
        FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return new FileUpload(key, target, temp, channel);
    }

    @Override
    public void put(String key, byte[] content, String contentType) throws IOException {
        try (ObjectUpload upload = beginUpload(key, content.length)) {
            upload.write(content);
            upload.complete();
        }
    }

    @Override
    public InputStream open(String key) throws IOException {
        return Files.newInputStream(resolve(key));
    }

    @Override
    public List<StoredObject> list(String prefix) throws IOException {
        List<StoredObject> objects = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return objects;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (file.getFileName().toString().startsWith(".")) {
                    continue;
                }
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(file, BasicFileAttributes.class);
                } catch (NoSuchFileException deletedMeanwhile) {
                    continue;
                }
                if (!attributes.isRegularFile()) {
                    continue;
                }
                String key = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
                if (key.startsWith(prefix)) {
                    objects.add(new StoredObject(key, attributes.size(), attributes.lastModifiedTime().toInstant()));
                }
            }
        }
        return objects;
    }

    /** Temporary files left by a process that died mid-write. */
    @Override
    public List<Leftover> leftovers(String prefix, java.time.Instant startedBefore) throws IOException {
        Path under = root.resolve(prefix).normalize();
        if (!under.startsWith(root) || !Files.isDirectory(under)) {
            return List.of();
        }
        List<Leftover> leftovers = new ArrayList<>();
        try (Stream<Path> files = Files.walk(under)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                if (name.startsWith(".") && name.contains(PARTIAL_MARK)
                        && Files.getLastModifiedTime(file).toInstant().isBefore(startedBefore)) {
                    leftovers.add(new Leftover() {
                        @Override
                        public String describe() {
                            return file.toString() + " (partial file)";
                        }

                        @Override
                        public void discard() throws IOException {
                            Files.deleteIfExists(file);
                        }
                    });
                }
            }
        }
        return leftovers;
    }

    @Override
    public void delete(String key) throws IOException {
        Files.deleteIfExists(resolve(key));
    }

    private Path resolve(String key) {
        Path path = root.resolve(key).normalize();
        if (!path.startsWith(root) || key.isBlank()) {
            throw new IllegalArgumentException("Key " + key + " escapes the backup directory " + root);
        }
        return path;
    }

    private static Path temporaryFor(Path target) {
        return target.resolveSibling("." + target.getFileName() + PARTIAL_MARK + UUID.randomUUID());
    }

    private static final class FileUpload extends ObjectUpload {
        private final String key;
        private final Path target;
        private final Path temp;
        private final FileChannel channel;
        private final OutputStream out;
        private boolean finished;

        FileUpload(String key, Path target, Path temp, FileChannel channel) {
            this.key = key;
            this.target = target;
            this.temp = temp;
            this.channel = channel;
            this.out = Channels.newOutputStream(channel);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void complete() throws IOException {
            if (finished) {
                throw new IllegalStateException("Upload of " + key + " already ended");
            }
            try {
                // Durable before visible: the rename must never expose bytes still in the page cache only.
                channel.force(true);
                channel.close();
                try {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("The file system of " + target.getParent()
                            + " cannot rename atomically; choose another backup directory", e);
                }
                finished = true;
            } catch (IOException | RuntimeException e) {
                abort();
                throw e;
            }
        }

        @Override
        public void abort() {
            if (finished) {
                return;
            }
            finished = true;
            try {
                channel.close();
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                LOG.warn("Could not remove the partial file {}: {}", temp, e.getMessage());
            }
        }
    }
}

package dev.convexpipeline.emulator.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The emulator's scratch files (uploads, exports, an ephemeral data directory), removed when no longer needed. */
public final class ScratchFiles {
    private static final Logger LOG = LoggerFactory.getLogger(ScratchFiles.class);

    private ScratchFiles() {
    }

    /**
     * Deletes a file, or a directory with everything in it. Best effort: what cannot be deleted is only logged,
     * since scratch space left behind costs disk, not correctness.
     */
    public static void deleteQuietly(Path path) {
        try (Stream<Path> paths = Files.isDirectory(path) ? Files.walk(path) : Stream.of(path)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.debug("Could not delete {}: {}", p, e.toString());
                }
            });
        } catch (IOException e) {
            LOG.debug("Could not delete {}: {}", path, e.toString());
        }
    }
}

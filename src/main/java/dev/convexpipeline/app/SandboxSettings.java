package dev.convexpipeline.app;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The settings of a running sandbox (URLs, keys, the backup target), which it writes to
 * {@code <data dir>/sandbox.properties}, readable by the user only, and deletes when it stops. The
 * operator commands read the file when the sandbox that wrote it is still running, so
 * {@code backup list} in a second terminal sees the sandbox's backups with no variable copied.
 */
public final class SandboxSettings {
    /** Where the sandbox keeps its data by default, relative to the project directory. */
    public static final Path DEFAULT_DATA_DIR = Path.of("data", "sandbox");
    private static final String FILE_NAME = "sandbox.properties";
    private static final String PID = "sandbox.pid";

    private SandboxSettings() {
    }

    public static Path file(Path dataDir) {
        return dataDir.resolve(FILE_NAME);
    }

    /** Writes {@code settings} (pipeline setting keys) with this process's id, mode 0600 where the file system has modes. */
    public static Path write(Path dataDir, Map<String, String> settings) throws IOException {
        Files.createDirectories(dataDir);
        Path temporary = dataDir.resolve(FILE_NAME + ".tmp");
        Files.deleteIfExists(temporary);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(temporary);
        }
        Properties properties = new Properties();
        new TreeMap<>(settings).forEach(properties::setProperty);
        properties.setProperty(PID, Long.toString(ProcessHandle.current().pid()));
        try (Writer out = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
            properties.store(out, "Settings of the running convex-pipeline sandbox, read by the operator commands; secrets: keep private");
        }
        return Files.move(temporary, file(dataDir), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static void delete(Path dataDir) {
        try {
            Files.deleteIfExists(file(dataDir));
        } catch (IOException e) {
            // A leftover file is ignored once its process is gone.
        }
    }

    /** The settings of the sandbox that wrote the file under {@code dataDir}, if that sandbox still runs. */
    public static Optional<Map<String, String>> ofRunningSandbox(Path dataDir) {
        Path file = file(dataDir);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        } catch (IOException e) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(properties.getProperty(PID, ""));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            Map<String, String> settings = new LinkedHashMap<>();
            properties.stringPropertyNames().stream().filter(name -> !name.equals(PID)).sorted()
                    .forEach(name -> settings.put(name, properties.getProperty(name)));
            return Optional.of(settings);
        }
        return Optional.empty();
    }
}

package dev.convexpipeline.migration;

import dev.convexpipeline.backup.SnapshotSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A ZIP written by {@code npx convex export} on this machine, stored in the catalog like any
 * backup so a migration from it can be verified and resumed. The snapshot time comes from the
 * file name the CLI gives it ({@code snapshot_<ts>.zip}), else from the file's modification time.
 */
final class ZipFileSnapshotSource implements SnapshotSource {
    static final String INSTANCE = "local-zip";
    private static final Pattern CLI_NAME = Pattern.compile("snapshot_(\\d{16,20})\\.zip$");

    private final Path file;

    ZipFileSnapshotSource(Path file) {
        this.file = file;
    }

    static long snapshotTs(Path file, Clock clock) throws IOException {
        Matcher m = CLI_NAME.matcher(file.getFileName().toString());
        if (m.find()) {
            return Long.parseLong(m.group(1));
        }
        Instant modified = Files.getLastModifiedTime(file).toInstant();
        return modified.getEpochSecond() * 1_000_000_000L + modified.getNano();
    }

    @Override
    public Snapshot take() throws IOException {
        return new Snapshot(snapshotTs(file, Clock.systemUTC()), sourceUrl(), INSTANCE, false, Files.size(file),
                Files.newInputStream(file));
    }

    @Override
    public Optional<Snapshot> reopen(Snapshot taken) throws IOException {
        return Optional.of(take());
    }

    @Override
    public String instance() {
        return INSTANCE;
    }

    @Override
    public String sourceUrl() {
        return file.toAbsolutePath().toUri().toString();
    }
}

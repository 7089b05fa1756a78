package dev.convexpipeline.convex;

import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

import java.io.IOException;
import java.util.zip.ZipEntry;

/**
 * Fixed parts of the snapshot ZIP a Convex export writes (docs/convex-wire.md §2.4), shared by
 * every writer of such ZIPs: the emulator's export and the point-in-time materializer.
 */
public final class SnapshotZipFormat {
    /** The README.md the backend puts at the top of every export, byte for byte. */
    public static final String README = """
            # Welcome to your Convex snapshot export!

            This ZIP file contains a snapshot of the tables in your Convex deployment.

            Documents for each table are listed as lines of JSON in
            <table_name>/documents.jsonl files.

            For details on the format and how to use this snapshot with npx convex import,
            check out [the docs](https://docs.convex.dev/database/import-export/export) or
            ask us in [Discord](http://convex.dev/community).
            """;

    /** rw-r--r--: the backend passes exactly 0o644 (no file-type bits) to its zip writer. */
    private static final int ENTRY_UNIX_MODE = 0644;

    private SnapshotZipFormat() {
    }

    /** A deflated entry with the unix mode Convex's exports carry. */
    public static ZipArchiveEntry entry(String name) {
        ZipArchiveEntry entry = new ZipArchiveEntry(name);
        entry.setMethod(ZipEntry.DEFLATED);
        entry.setUnixMode(ENTRY_UNIX_MODE);
        return entry;
    }

    public static void writeEntry(ZipArchiveOutputStream zip, String name, byte[] content) throws IOException {
        zip.putArchiveEntry(entry(name));
        zip.write(content);
        zip.closeArchiveEntry();
    }
}

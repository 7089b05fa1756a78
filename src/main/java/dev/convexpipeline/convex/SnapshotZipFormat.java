package dev.convexpipeline.convex;

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

    private SnapshotZipFormat() {
    }
}

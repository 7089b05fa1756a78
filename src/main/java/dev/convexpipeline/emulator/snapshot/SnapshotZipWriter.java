package dev.convexpipeline.emulator.snapshot;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.store.DatabaseSnapshot;
import dev.convexpipeline.emulator.store.StoredTable;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.zip.ZipEntry;

/** Writes a snapshot as the ZIP a Convex export produces (convex-api.md §2.4). */
public final class SnapshotZipWriter {
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

    private SnapshotZipWriter() {
    }

    public static void write(DatabaseSnapshot snapshot, boolean includeStorage, Path target) throws IOException {
        List<StoredTable> tablesByNumber = snapshot.userTablesByNumber();
        List<StoredTable> smallestFirst = tablesByNumber.stream()
                .sorted(Comparator.comparingLong(StoredTable::totalSize).thenComparingInt(StoredTable::number))
                .toList();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(target)) {
            zip.setMethod(ZipEntry.DEFLATED);
            writeEntry(zip, "README.md", README.getBytes(StandardCharsets.UTF_8));
            StringBuilder tables = new StringBuilder();
            for (StoredTable table : tablesByNumber) {
                ObjectNode line = ConvexValues.MAPPER.createObjectNode().put("name", table.name()).put("id", table.number());
                tables.append(ConvexValues.write(line)).append('\n');
            }
            writeEntry(zip, "_tables/documents.jsonl", tables.toString().getBytes(StandardCharsets.UTF_8));
            for (StoredTable table : smallestFirst) {
                zip.putArchiveEntry(entry(table.name() + "/documents.jsonl"));
                OutputStream out = zip;
                for (ObjectNode document : table.documents().values()) {
                    out.write(ConvexValues.write(ConvexValues.toExportJson(document)).getBytes(StandardCharsets.UTF_8));
                    out.write('\n');
                }
                zip.closeArchiveEntry();
                writeEntry(zip, table.name() + "/generated_schema.jsonl", "\"uniform\"\n".getBytes(StandardCharsets.UTF_8));
            }
            if (includeStorage) {
                // The emulator has no file storage, so the storage table is always empty.
                writeEntry(zip, "_storage/documents.jsonl", new byte[0]);
            }
        }
    }

    private static void writeEntry(ZipArchiveOutputStream zip, String name, byte[] content) throws IOException {
        zip.putArchiveEntry(entry(name));
        zip.write(content);
        zip.closeArchiveEntry();
    }

    private static ZipArchiveEntry entry(String name) {
        ZipArchiveEntry entry = new ZipArchiveEntry(name);
        entry.setMethod(ZipEntry.DEFLATED);
        entry.setUnixMode(ENTRY_UNIX_MODE);
        return entry;
    }
}

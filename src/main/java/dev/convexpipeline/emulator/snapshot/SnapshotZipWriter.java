package dev.convexpipeline.emulator.snapshot;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.convex.SnapshotZipFormat;
import dev.convexpipeline.emulator.storage.FileStorage;
import dev.convexpipeline.emulator.store.DatabaseSnapshot;
import dev.convexpipeline.emulator.store.StoredTable;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.zip.ZipEntry;

/** Writes a snapshot as the ZIP a Convex export produces (docs/convex-wire.md §2.4). */
public final class SnapshotZipWriter {

    private SnapshotZipWriter() {
    }

    /** {@code storage} is null for an export without file storage. */
    public static void write(DatabaseSnapshot snapshot, FileStorage storage, Path target) throws IOException {
        List<StoredTable> tablesByNumber = snapshot.userTablesByNumber();
        List<StoredTable> smallestFirst = tablesByNumber.stream()
                .sorted(Comparator.comparingLong(StoredTable::totalSize).thenComparingInt(StoredTable::number))
                .toList();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(target)) {
            zip.setMethod(ZipEntry.DEFLATED);
            SnapshotZipFormat.writeEntry(zip, "README.md", SnapshotZipFormat.README.getBytes(StandardCharsets.UTF_8));
            StringBuilder tables = new StringBuilder();
            for (StoredTable table : tablesByNumber) {
                ObjectNode line = ConvexValues.MAPPER.createObjectNode().put("name", table.name()).put("id", table.number());
                tables.append(ConvexValues.write(line)).append('\n');
            }
            SnapshotZipFormat.writeEntry(zip, "_tables/documents.jsonl", tables.toString().getBytes(StandardCharsets.UTF_8));
            for (StoredTable table : smallestFirst) {
                zip.putArchiveEntry(SnapshotZipFormat.entry(table.name() + "/documents.jsonl"));
                OutputStream out = zip;
                for (ObjectNode document : table.documents().values()) {
                    out.write(ConvexValues.write(ConvexValues.toExportJson(document)).getBytes(StandardCharsets.UTF_8));
                    out.write('\n');
                }
                zip.closeArchiveEntry();
                SnapshotZipFormat.writeEntry(zip, table.name() + "/generated_schema.jsonl", "\"uniform\"\n".getBytes(StandardCharsets.UTF_8));
            }
            if (storage != null) {
                writeStorage(zip, snapshot, storage);
            }
        }
    }

    /** The backend's layout: one metadata line per file, then each body as {@code _storage/<id>}. */
    private static void writeStorage(ZipArchiveOutputStream zip, DatabaseSnapshot snapshot, FileStorage storage)
            throws IOException {
        List<ObjectNode> files = snapshot.table(FileStorage.TABLE).map(table -> List.copyOf(table.documents().values()))
                .orElse(List.of());
        zip.putArchiveEntry(SnapshotZipFormat.entry(FileStorage.TABLE + "/documents.jsonl"));
        for (ObjectNode file : files) {
            ObjectNode line = ConvexValues.MAPPER.createObjectNode();
            line.set("_id", file.get("_id"));
            line.set("_creationTime", file.get("_creationTime"));
            line.set("sha256", file.get("sha256"));
            line.put("size", file.path("size").longValue());
            line.set("contentType", file.has("contentType") ? file.get("contentType") : ConvexValues.MAPPER.nullNode());
            // The backend's internal id is a storage UUID this emulator does not have; null lets it make one.
            line.putNull("internalId");
            zip.write(ConvexValues.write(line).getBytes(StandardCharsets.UTF_8));
            zip.write('\n');
        }
        zip.closeArchiveEntry();
        for (ObjectNode file : files) {
            String id = file.get("_id").textValue();
            zip.putArchiveEntry(SnapshotZipFormat.entry(FileStorage.TABLE + "/" + id));
            try (java.io.InputStream body = storage.open(id)) {
                body.transferTo(zip);
            }
            zip.closeArchiveEntry();
        }
    }
}

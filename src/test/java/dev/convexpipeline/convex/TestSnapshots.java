package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds small import files in the formats a Convex deployment reads (docs/convex-wire.md §2.4, §3.5). */
public final class TestSnapshots {
    private TestSnapshots() {
    }

    /**
     * A ZIP snapshot with one {@code <table>/documents.jsonl} per table in export_json and a
     * {@code "uniform"} generated schema, so int64, float64 and bytes survive the import.
     */
    public static byte[] zip(Map<String, List<ObjectNode>> tables) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, List<ObjectNode>> table : tables.entrySet()) {
                zip.putNextEntry(new ZipEntry(table.getKey() + "/documents.jsonl"));
                for (ObjectNode document : table.getValue()) {
                    zip.write(ConvexValues.write(ConvexValues.toExportJson(document)).getBytes(StandardCharsets.UTF_8));
                    zip.write('\n');
                }
                zip.closeEntry();
                zip.putNextEntry(new ZipEntry(table.getKey() + "/generated_schema.jsonl"));
                zip.write("\"uniform\"\n".getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** One plain JSON object per line (single-table import; numbers become float64). */
    static byte[] jsonLines(List<? extends JsonNode> documents) {
        StringBuilder out = new StringBuilder();
        documents.forEach(document -> out.append(document.toString()).append('\n'));
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}

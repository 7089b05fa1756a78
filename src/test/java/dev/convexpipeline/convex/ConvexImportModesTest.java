package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.testing.ConvexEmulatorExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Import formats and modes through the client, against a fresh emulator per test. */
class ConvexImportModesTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @RegisterExtension
    final ConvexEmulatorExtension convex = ConvexEmulatorExtension.ephemeral().withFaultProxy();

    @Test
    void appendAddsToExistingDocuments() {
        importLines("items", ImportMode.REQUIRE_EMPTY, 2, "first");

        ImportResult appended = importLines("items", ImportMode.APPEND, 3, "second");

        assertThat(appended.numRowsWritten()).isEqualTo(3);
        assertThat(labels("items")).hasSize(5);
    }

    @Test
    void requireEmptyRefusesANonEmptyTable() {
        importLines("items", ImportMode.REQUIRE_EMPTY, 2, "first");

        ConvexSnapshotException failure = assertThrows(ConvexSnapshotException.class,
                () -> importLines("items", ImportMode.REQUIRE_EMPTY, 1, "again"));

        assertThat(failure.getMessage()).contains("failed").contains("items").contains("already exists");
        assertThat(labels("items")).hasSize(2);
    }

    @Test
    void replaceWithoutConfirmDeletesIsCanceledAndNamesTheDeletes() {
        importLines("items", ImportMode.REQUIRE_EMPTY, 4, "old");

        ConvexSnapshotException failure = assertThrows(ConvexSnapshotException.class,
                () -> importLines("items", ImportMode.REPLACE, 1, "new"));

        assertThat(failure.getMessage()).contains("would delete existing documents").contains("items")
                .contains("confirmDeletes").doesNotContain(convex.adminKey());
        assertThat(labels("items")).allMatch(label -> label.startsWith("old")).hasSize(4);
    }

    @Test
    void replaceWithConfirmDeletesReplacesTheTable() {
        importLines("items", ImportMode.REQUIRE_EMPTY, 4, "old");
        List<String> progress = new ArrayList<>();

        ImportResult replaced = convex.client().importSnapshot(lines(2, "new"),
                ImportOptions.table(ImportFormat.JSON_LINES, "items", ImportMode.REPLACE)
                        .withConfirmDeletes(true).withProgress(progress::add));

        assertThat(replaced.numRowsWritten()).isEqualTo(2);
        assertThat(labels("items")).containsExactlyInAnyOrder("new0", "new1");
        assertThat(progress).as("the delete summary is reported before confirming").isNotEmpty();
        assertThat(convex.proxy().requestLines()).anyMatch(line -> line.startsWith("POST /api/perform_import"));
    }

    @Test
    void jsonArrayAndCsvImportAsFloat64() {
        byte[] array = "[{\"label\":\"a0\",\"n\":1},{\"label\":\"a1\",\"n\":2.5}]".getBytes(StandardCharsets.UTF_8);
        byte[] csv = "label,n\nc0,4\nc1,hello\n".getBytes(StandardCharsets.UTF_8);

        convex.client().importSnapshot(new ByteArrayInputStream(array),
                ImportOptions.table(ImportFormat.JSON_ARRAY, "arrays", ImportMode.REQUIRE_EMPTY));
        convex.client().importSnapshot(new ByteArrayInputStream(csv),
                ImportOptions.table(ImportFormat.CSV, "sheets", ImportMode.REQUIRE_EMPTY));

        List<ObjectNode> arrays = documents("arrays");
        assertThat(arrays).extracting(doc -> doc.get("n").isFloatingPointNumber()).containsOnly(true);
        List<ObjectNode> sheets = documents("sheets");
        assertThat(sheets).anySatisfy(doc -> assertThat(doc.get("n").doubleValue()).isEqualTo(4.0));
        assertThat(sheets).anySatisfy(doc -> assertThat(doc.get("n").textValue()).isEqualTo("hello"));
    }

    @Test
    void leadingUtf8BomIsStrippedFromTextImportsLikeTheCliDoes() {
        byte[] text = "{\"label\":\"bom\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[text.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(text, 0, withBom, 3, text.length);

        convex.client().importSnapshot(new ByteArrayInputStream(withBom),
                ImportOptions.table(ImportFormat.JSON_LINES, "bom", ImportMode.REQUIRE_EMPTY));

        assertThat(labels("bom")).containsExactly("bom");
    }

    @Test
    void malformedInputFailsWithTheServersReason() {
        byte[] broken = "{\"label\":\"ok\"}\n{not json\n".getBytes(StandardCharsets.UTF_8);

        ConvexSnapshotException failure = assertThrows(ConvexSnapshotException.class,
                () -> convex.client().importSnapshot(new ByteArrayInputStream(broken),
                        ImportOptions.table(ImportFormat.JSON_LINES, "items", ImportMode.REQUIRE_EMPTY)));

        assertThat(failure.getMessage()).contains("failed").contains("wasn't valid JSON");
    }

    @Test
    void largeInputIsUploadedInBoundedParts() {
        String padding = "x".repeat(480);
        StringBuilder text = new StringBuilder();
        int count = 12_000;
        IntStream.range(0, count).forEach(i -> text.append("{\"label\":\"big").append(i)
                .append("\",\"padding\":\"").append(padding).append("\"}\n"));
        byte[] input = text.toString().getBytes(StandardCharsets.UTF_8);
        assertThat(input.length).isGreaterThan(ImportOptions.MIN_PART_SIZE);

        ImportResult result = convex.client().importSnapshot(new ByteArrayInputStream(input),
                ImportOptions.table(ImportFormat.JSON_LINES, "big", ImportMode.REQUIRE_EMPTY));

        assertThat(result.numRowsWritten()).isEqualTo(count);
        assertThat(convex.proxy().requestLines()).filteredOn(line -> line.startsWith("POST /api/import/upload_part"))
                .hasSize(2)
                .anyMatch(line -> line.endsWith("partNumber=2"));
    }

    @Test
    void uploadPartsAreRetriedOnServerErrors() {
        convex.proxy().failNext(1, 503, null, "/api/import/upload_part");

        importLines("retried", ImportMode.REQUIRE_EMPTY, 1, "r");

        assertThat(labels("retried")).containsExactly("r0");
        assertThat(convex.proxy().requestLines()).filteredOn(line -> line.startsWith("POST /api/import/upload_part"))
                .hasSize(2);
    }

    private ImportResult importLines(String table, ImportMode mode, int count, String prefix) {
        return convex.client().importSnapshot(lines(count, prefix), ImportOptions.table(ImportFormat.JSON_LINES, table, mode));
    }

    private static ByteArrayInputStream lines(int count, String prefix) {
        List<ObjectNode> docs = IntStream.range(0, count)
                .mapToObj(i -> NODES.objectNode().put("label", prefix + i)).toList();
        return new ByteArrayInputStream(TestSnapshots.jsonLines(docs));
    }

    private List<ObjectNode> documents(String table) {
        return convex.client().listSnapshot(table).map(SnapshotDocument::document).toList();
    }

    private List<String> labels(String table) {
        return documents(table).stream().map(doc -> doc.path("label").asText()).toList();
    }
}

package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.testing.ConvexEmulatorExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Export from one emulator, import into an empty second one: every value must come back identical. */
class ConvexSnapshotRoundTripTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @RegisterExtension
    final ConvexEmulatorExtension source = ConvexEmulatorExtension.ephemeral();
    @RegisterExtension
    final ConvexEmulatorExtension target = ConvexEmulatorExtension.ephemeral();

    @Test
    void multiTableExportImportKeepsTypesIdsAndCreationTimes() throws Exception {
        seedSource();
        Map<String, List<ObjectNode>> before = documentsByTable(source.client());

        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        List<String> exportProgress = new ArrayList<>();
        ExportResult exported = source.client().exportSnapshot(zip,
                ExportOptions.defaults().withProgress(exportProgress::add));
        ImportResult imported = target.client().importSnapshot(new ByteArrayInputStream(zip.toByteArray()),
                ImportOptions.zip(ImportMode.REQUIRE_EMPTY));
        Map<String, List<ObjectNode>> after = documentsByTable(target.client());

        assertThat(exported.startTs()).isPositive();
        assertThat(exported.bytes()).isEqualTo(zip.size());
        assertThat(imported.numRowsWritten()).isEqualTo(before.values().stream().mapToInt(List::size).sum());
        assertThat(before).as("the seeded tables").isNotEmpty();
        assertThat(after.keySet()).containsExactlyInAnyOrderElementsOf(before.keySet());
        before.forEach((table, documents) ->
                assertThat(after.get(table)).as("documents of %s", table).containsExactlyElementsOf(documents));

        ObjectNode measurement = byLabel(before.get("measurements"), "m0");
        assertThat(measurement.get("count").isIntegralNumber()).as("int64 stays int64").isTrue();
        assertThat(measurement.get("count").longValue()).isEqualTo(Long.MAX_VALUE);
        assertThat(measurement.get("ratio").isFloatingPointNumber()).as("3.0 stays float64").isTrue();
        assertThat(measurement.get("ratio").doubleValue()).isEqualTo(3.0);
        assertThat(measurement.get("blob").isBinary()).isTrue();
        ObjectNode importedMeasurement = byLabel(after.get("measurements"), "m0");
        assertThat(importedMeasurement.get("_id")).isEqualTo(measurement.get("_id"));
        assertThat(importedMeasurement.get("_creationTime")).isEqualTo(measurement.get("_creationTime"));
    }

    @Test
    void exportStreamCanBeOpenedAgainByStartTs() throws Exception {
        seedSource();
        PendingExport pending = source.client().requestExport(false);
        ExportStatus done = source.client().awaitExport(pending, java.time.Duration.ofMinutes(1),
                java.time.Duration.ofMillis(200), message -> { });

        byte[] first;
        byte[] second;
        try (InputStream in = source.client().openExportStream(done.startTs())) {
            first = in.readAllBytes();
        }
        try (InputStream in = source.client().openExportStream(done.startTs())) {
            second = in.readAllBytes();
        }

        assertThat(first).isNotEmpty().isEqualTo(second);
        assertThat(first[0]).as("ZIP local header").isEqualTo((byte) 'P');
    }

    /** Two tables via a ZIP import (int64, float64, bytes, nesting) plus one user written by a mutation. */
    private void seedSource() {
        List<ObjectNode> measurements = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            ObjectNode doc = NODES.objectNode();
            doc.set("count", ConvexValues.int64(i == 0 ? Long.MAX_VALUE : i - 10L));
            doc.set("ratio", ConvexValues.float64(i == 0 ? 3.0 : i / 7.0));
            doc.set("blob", ConvexValues.bytes(new byte[] {0, 1, (byte) i, (byte) 0xff}));
            doc.put("label", "m" + i);
            doc.put("flag", i % 2 == 0);
            doc.putNull("nothing");
            ObjectNode nested = doc.putObject("nested");
            nested.set("depth", ConvexValues.int64(2));
            nested.putArray("mixed").add(ConvexValues.float64(1.5)).add(ConvexValues.int64(7)).add("x")
                    .add(NODES.objectNode().set("inner", ConvexValues.bytes(new byte[] {9})));
            measurements.add(doc);
        }
        List<ObjectNode> notes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            notes.add(NODES.objectNode().put("text", "note " + i).set("tags", NODES.arrayNode().add("a").add("b")));
        }
        Map<String, List<ObjectNode>> tables = new LinkedHashMap<>();
        tables.put("measurements", measurements);
        tables.put("notes", notes);
        source.client().importSnapshot(new ByteArrayInputStream(TestSnapshots.zip(tables)),
                ImportOptions.zip(ImportMode.REQUIRE_EMPTY));
        source.client().mutation("users:upsert", NODES.objectNode().put("authSubject", "auth|round-trip"));
    }

    private static ObjectNode byLabel(List<ObjectNode> documents, String label) {
        return documents.stream().filter(doc -> label.equals(doc.path("label").asText())).findFirst().orElseThrow();
    }

    /** All documents per table, ordered by creation time, then id, so two deployments compare equal. */
    private static Map<String, List<ObjectNode>> documentsByTable(ConvexClient client) {
        return client.listSnapshot(null).collect(Collectors.groupingBy(SnapshotDocument::table,
                Collectors.collectingAndThen(Collectors.toList(), docs -> docs.stream()
                        .sorted(Comparator.comparing((SnapshotDocument doc) -> doc.document().path("_creationTime").asDouble())
                                .thenComparing(SnapshotDocument::id))
                        .map(SnapshotDocument::document)
                        .toList())));
    }
}

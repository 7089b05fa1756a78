package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexIds;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.testing.ConvexEmulatorExtension;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Snapshot export over HTTP: state machine, download headers and the exact ZIP layout (docs/convex-wire.md §2). */
class EmulatorExportTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    @RegisterExtension
    final ConvexEmulatorExtension convex = ConvexEmulatorExtension.ephemeral();
    private final EmulatorClient client = new EmulatorClient(convex);

    @Test
    void exportWritesTheBackendsZipLayout(@TempDir Path temp) throws Exception {
        ObjectNode small = NODES.objectNode().put("body", "hi").put("ratio", 3.0);
        small.set("count", ConvexValues.int64(3));
        small.set("blob", ConvexValues.bytes(new byte[]{0, 1}));
        String smallId = convex.emulator().insert("messages", small);
        for (int i = 0; i < 5; i++) {
            convex.emulator().insert("big", NODES.objectNode().put("text", "a fairly long string to make this table larger " + i));
        }

        ObjectNode completed = exportAndWait();
        long startTs = completed.get("start_ts").longValue();
        Path zipFile = temp.resolve("export.zip");
        EmulatorClient.Response download = client.download("/api/export/zip/" + startTs, zipFile);
        assertThat(download.status()).isEqualTo(200);
        assertThat(download.headers().firstValue("Content-Disposition"))
                .hasValue("attachment; filename=snapshot_convex-self-hosted_" + startTs + ".zip");
        assertThat(download.headers().firstValue("Cache-Control")).hasValue("private, max-age=2592000");
        assertThat(download.headers().firstValueAsLong("Content-Length")).hasValue(Files.size(zipFile));

        try (ZipFile zip = ZipFile.builder().setPath(zipFile).get()) {
            List<ZipArchiveEntry> entries = Collections.list(zip.getEntriesInPhysicalOrder());
            assertThat(entries).extracting(ZipArchiveEntry::getName).containsExactly("README.md",
                    "_tables/documents.jsonl", "messages/documents.jsonl", "messages/generated_schema.jsonl",
                    "big/documents.jsonl", "big/generated_schema.jsonl");
            for (ZipArchiveEntry entry : entries) {
                assertThat(entry.getMethod()).as(entry.getName()).isEqualTo(ZipEntry.DEFLATED);
                assertThat(entry.getUnixMode()).as(entry.getName()).isEqualTo(0644);
                assertThat(entry.getPlatform()).isEqualTo(ZipArchiveEntry.PLATFORM_UNIX);
            }
            assertThat(read(zip, "README.md")).startsWith("# Welcome to your Convex snapshot export!");
            int messagesNumber = convex.emulator().store().latest().table("messages").orElseThrow().number();
            int bigNumber = convex.emulator().store().latest().table("big").orElseThrow().number();
            assertThat(read(zip, "_tables/documents.jsonl")).isEqualTo("{\"name\":\"messages\",\"id\":" + messagesNumber
                    + "}\n{\"name\":\"big\",\"id\":" + bigNumber + "}\n");
            assertThat(read(zip, "messages/generated_schema.jsonl")).isEqualTo("\"uniform\"\n");
            String line = read(zip, "messages/documents.jsonl");
            assertThat(line).endsWith("\n").contains("\"count\":3,").contains("\"ratio\":3.0")
                    .contains("\"blob\":{\"$bytes\":\"AAE=\"}").contains("\"_id\":\"" + smallId + "\"")
                    .matches("(?s)\\{\"_creationTime\":\\d+\\.\\d+,.*");
            JsonNode parsed = ConvexValues.parse(line.trim());
            assertThat(ConvexIds.decode(parsed.get("_id").asText()).tableNumber()).isEqualTo(messagesNumber);
            List<String> bigIds = new ArrayList<>();
            for (String bigLine : read(zip, "big/documents.jsonl").split("\n")) {
                bigIds.add(ConvexValues.parse(bigLine).get("_id").asText());
            }
            assertThat(bigIds).containsExactlyElementsOf(convex.emulator().documents("big").stream()
                    .map(doc -> doc.get("_id").asText()).toList());
        }
    }

    @Test
    void systemTablesAreNotExportedAndStorageOnlyOnRequest(@TempDir Path temp) throws Exception {
        convex.emulator().insert("messages", NODES.objectNode().put("body", "x"));
        ObjectNode completed = exportAndWait("?includeStorage=true");
        Path zipFile = temp.resolve("with-storage.zip");
        client.download("/api/export/zip/" + completed.get("_id").asText(), zipFile);
        try (ZipFile zip = ZipFile.builder().setPath(zipFile).get()) {
            assertThat(Collections.list(zip.getEntriesInPhysicalOrder())).extracting(ZipArchiveEntry::getName)
                    .containsExactly("README.md", "_tables/documents.jsonl", "messages/documents.jsonl",
                            "messages/generated_schema.jsonl", "_storage/documents.jsonl");
        }
    }

    @Test
    void secondExportWhileOneRunsIsRejectedAndDownloadErrorsAreSpecific() {
        convex.emulator().store().write(tx -> tx.insert("_exports", NODES.objectNode().put("state", "in_progress")
                .put("requestor", "snapshotExport")));
        EmulatorClient.Response conflict = client.adminJson("/api/export/request/zip?includeStorage=false", null);
        assertThat(conflict.status()).isEqualTo(400);
        assertThat(conflict.body()).isEqualTo(
                "{\"code\":\"ExportInProgress\",\"message\":\"There is already an export requested or in progress.\"}");
        EmulatorClient.Response badId = client.get("/api/export/zip/not-an-id", "Authorization", "Convex " + client.adminKey());
        assertThat(badId.status()).isEqualTo(400);
        assertThat(badId.json().get("code").asText()).isEqualTo("BadSnapshotId");
        EmulatorClient.Response missing = client.get("/api/export/zip/12345", "Authorization", "Convex " + client.adminKey());
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("code").asText()).isEqualTo("ExportNotFound");
        assertThat(client.get("/api/export/zip/12345").status()).isEqualTo(403);
    }

    @Test
    void completedExportsTakeANewExpirationAndCannotBeCanceled() throws Exception {
        ObjectNode completed = exportAndWait();
        String id = completed.get("_id").asText();
        EmulatorClient.Response expiration = client.adminJson("/api/export/set_expiration/" + id,
                "{\"expiration_ts_ns\":1900000000000000000}");
        assertThat(expiration.status()).isEqualTo(200);
        assertThat(convex.emulator().store().latest().get(id).orElseThrow().get("expiration_ts").longValue())
                .isEqualTo(1900000000000000000L);
        EmulatorClient.Response cancel = client.adminJson("/api/export/cancel/" + id, null);
        assertThat(cancel.status()).as("the backend raises a plain error here").isEqualTo(500);
        assertThat(cancel.json().get("code").asText()).isEqualTo("InternalServerError");
    }

    @Test
    void corsMirrorsTheOrigin() {
        EmulatorClient.Response response = client.get("/version", "Origin", "http://dashboard.local");
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).hasValue("http://dashboard.local");
        assertThat(response.headers().firstValue("Access-Control-Allow-Credentials")).hasValue("true");
    }

    private ObjectNode exportAndWait() {
        return exportAndWait("?includeStorage=false");
    }

    private ObjectNode exportAndWait(String query) {
        EmulatorClient.Response requested = client.adminJson("/api/export/request/zip" + query, null);
        assertThat(requested.status()).isEqualTo(200);
        assertThat(requested.body()).isEmpty();
        JsonNode latest = await("export completed").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    JsonNode state = client.call("query", "_system/cli/exports:getLatest", "[{}]", "convex_encoded_json").get("value");
                    // Any other state fails at once rather than after the timeout.
                    assertThat(state.path("state").asText()).isIn("requested", "in_progress", "completed");
                    return state;
                }, state -> state.path("state").asText().equals("completed"));
        return (ObjectNode) ConvexValues.fromEncoded(latest);
    }

    private static String read(ZipFile zip, String name) throws Exception {
        try (var in = zip.getInputStream(zip.getEntry(name))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexIds;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.testing.ConvexEmulatorExtension;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Snapshot import over HTTP: upload, state machine, modes, formats and errors (docs/convex-wire.md §3). */
class EmulatorImportTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    @RegisterExtension
    final ConvexEmulatorExtension convex = ConvexEmulatorExtension.ephemeral();
    private final EmulatorClient client = new EmulatorClient(convex);

    @Test
    void jsonLinesIntoANewTableNeedsNoManualConfirmation() {
        String importId = upload("{\"format\":\"jsonLines\",\"tableName\":\"notes\"}",
                "{\"text\":\"a\",\"n\":1}\n{\"text\":\"b\",\"n\":2.5}\n".getBytes(StandardCharsets.UTF_8));
        JsonNode waiting = waitForState(importId, "waiting_for_confirmation");
        assertThat(waiting.get("require_manual_confirmation").asBoolean()).isFalse();
        assertThat(waiting.get("message_to_confirm").asText()).isEqualTo(changeSummary("notes | 2      | 0 of 0 |"));
        perform(importId);
        JsonNode completed = waitForState(importId, "completed");
        assertThat(completed.get("num_rows_written").longValue()).isEqualTo(2);
        List<ObjectNode> notes = convex.emulator().documents("notes");
        assertThat(notes).hasSize(2);
        assertThat(notes).allSatisfy(doc -> assertThat(doc.get("n").isDouble()).as("plain numbers import as float64").isTrue());
    }

    @Test
    void requireEmptyFailsWhenTheTableHasDocuments() {
        convex.emulator().insert("notes", NODES.objectNode().put("text", "existing"));
        String importId = upload("{\"format\":\"jsonLines\",\"tableName\":\"notes\"}", "{\"text\":\"a\"}\n".getBytes());
        JsonNode failed = waitForState(importId, "failed");
        assertThat(failed.get("error_message").asText()).isEqualTo("Hit an error while importing:\n"
                + "Table notes already exists. Please choose a new table name or use replace/append modes.");
        assertThat(convex.emulator().documents("notes")).hasSize(1);
    }

    @Test
    void replaceImportWaitsForConfirmation() {
        convex.emulator().insert("users", NODES.objectNode().put("authSubject", "old|1"));
        convex.emulator().insert("users", NODES.objectNode().put("authSubject", "old|2"));
        String importId = upload("{\"format\":\"csv\",\"tableName\":\"users\",\"mode\":\"replace\"}",
                "authSubject, score\nnew|1,42\n".getBytes());
        JsonNode waiting = waitForState(importId, "waiting_for_confirmation");
        assertThat(waiting.get("require_manual_confirmation").asBoolean()).isTrue();
        assertThat(waiting.get("message_to_confirm").asText()).isEqualTo(changeSummary("users | 1      | 2 of 2 |"));
        assertThat(convex.emulator().documents("users")).as("nothing changes before perform_import").hasSize(2);
        perform(importId);
        waitForState(importId, "completed");
        List<ObjectNode> users = convex.emulator().documents("users");
        assertThat(users).hasSize(1);
        assertThat(users.get(0).get("authSubject").asText()).isEqualTo("new|1");
        assertThat(users.get(0).get("score").doubleValue()).isEqualTo(42.0);
    }

    @Test
    void appendKeepsExistingDocumentsAndReadsJsonArrays() {
        convex.emulator().insert("notes", NODES.objectNode().put("text", "existing"));
        String importId = upload("{\"format\":\"jsonArray\",\"tableName\":\"notes\",\"mode\":\"append\"}",
                "[{\"text\":\"x\",\"nested\":{\"k\":[1,\"s\"]}},{\"text\":\"y\"}]".getBytes());
        JsonNode waiting = waitForState(importId, "waiting_for_confirmation");
        assertThat(waiting.get("require_manual_confirmation").asBoolean()).isFalse();
        perform(importId);
        waitForState(importId, "completed");
        assertThat(convex.emulator().documents("notes")).extracting(doc -> doc.get("text").asText())
                .containsExactlyInAnyOrder("existing", "x", "y");
    }

    @Test
    void csvCellsBecomeFloat64WhenTheyParseAndStringsOtherwiseAndNonFiniteOnesNull() {
        String importId = upload("{\"format\":\"csv\",\"tableName\":\"cells\"}",
                "a,b,c,d\n1,1.5e3,abc,-inf\n".getBytes());
        waitForState(importId, "waiting_for_confirmation");
        perform(importId);
        waitForState(importId, "completed");
        ObjectNode row = convex.emulator().documents("cells").get(0);
        assertThat(row.get("a").isDouble()).isTrue();
        assertThat(row.get("b").doubleValue()).isEqualTo(1500.0);
        assertThat(row.get("c").asText()).isEqualTo("abc");
        assertThat(row.get("d").isNull()).as("JSON has no infinity: the backend stores null").isTrue();
    }

    @Test
    void replaceAllZipKeepsIdsAndDropsTablesMissingFromTheImport() throws IOException {
        convex.emulator().insert("leftover", NODES.objectNode().put("x", 1.0));
        convex.emulator().insert("users", NODES.objectNode().put("authSubject", "old"));
        String id = ConvexIds.generate(10050);
        byte[] zip = zip(Map.of(
                "_tables/documents.jsonl", "{\"name\":\"people\",\"id\":10050}\n",
                "people/documents.jsonl", "{\"_creationTime\":1700000000000.5,\"_id\":\"" + id + "\",\"age\":7,\"w\":7.0}\n",
                "people/generated_schema.jsonl", "\"uniform\"\n"));
        String importId = upload("{\"format\":\"zip\",\"mode\":\"replaceAll\"}", zip);
        JsonNode waiting = waitForState(importId, "waiting_for_confirmation");
        assertThat(waiting.get("require_manual_confirmation").asBoolean()).isTrue();
        assertThat(waiting.get("message_to_confirm").asText()).contains("leftover | 0      | 1 of 1 |");
        perform(importId);
        waitForState(importId, "completed");
        assertThat(convex.emulator().store().latest().userTablesByNumber()).extracting(t -> t.name()).containsExactly("people");
        ObjectNode person = convex.emulator().documents("people").get(0);
        assertThat(person.get("_id").asText()).isEqualTo(id);
        assertThat(person.get("_creationTime").doubleValue()).isEqualTo(1700000000000.5);
        assertThat(person.get("age").isIntegralNumber()).isTrue();
        assertThat(person.get("w").isDouble()).isTrue();
        assertThat(convex.emulator().store().latest().table("people").orElseThrow().number()).isEqualTo(10050);
    }

    @Test
    void replaceZipCanSwapTableNumbersBetweenReplacedTables() throws IOException {
        convex.emulator().insert("alpha", NODES.objectNode().put("x", 1.0));
        convex.emulator().insert("beta", NODES.objectNode().put("x", 2.0));
        int alphaNumber = convex.emulator().store().latest().table("alpha").orElseThrow().number();
        int betaNumber = convex.emulator().store().latest().table("beta").orElseThrow().number();
        String alphaId = ConvexIds.generate(betaNumber);
        String betaId = ConvexIds.generate(alphaNumber);
        byte[] zip = zip(Map.of(
                "_tables/documents.jsonl", "{\"name\":\"alpha\",\"id\":" + betaNumber + "}\n{\"name\":\"beta\",\"id\":"
                        + alphaNumber + "}\n",
                "alpha/documents.jsonl", "{\"_id\":\"" + alphaId + "\",\"x\":10}\n",
                "alpha/generated_schema.jsonl", "\"uniform\"\n",
                "beta/documents.jsonl", "{\"_id\":\"" + betaId + "\",\"x\":20}\n",
                "beta/generated_schema.jsonl", "\"uniform\"\n"));
        String importId = upload("{\"format\":\"zip\",\"mode\":\"replace\"}", zip);
        waitForState(importId, "waiting_for_confirmation");
        perform(importId);
        waitForState(importId, "completed");
        assertThat(convex.emulator().store().latest().table("alpha").orElseThrow().number()).isEqualTo(betaNumber);
        assertThat(convex.emulator().documents("alpha").get(0).get("_id").asText()).isEqualTo(alphaId);
        assertThat(convex.emulator().documents("beta").get(0).get("_id").asText()).isEqualTo(betaId);
    }

    @Test
    void foreignIdIsAnImportConflict() {
        convex.emulator().insert("users", NODES.objectNode().put("authSubject", "a"));
        String foreign = ConvexIds.generate(10077);
        String importId = upload("{\"format\":\"jsonLines\",\"tableName\":\"users\",\"mode\":\"append\"}",
                ("{\"_id\":\"" + foreign + "\",\"authSubject\":\"b\"}\n").getBytes());
        waitForState(importId, "waiting_for_confirmation");
        perform(importId);
        JsonNode failed = waitForState(importId, "failed");
        assertThat(failed.get("error_message").asText()).startsWith("Hit an error while importing:\n_id " + foreign
                + " cannot be imported into 'users' because it came from a different deployment");
        assertThat(convex.emulator().documents("users")).hasSize(1);
    }

    /** The CLI strips a BOM before uploading; another client that sends one gets the backend's answer. */
    @Test
    void aByteOrderMarkFailsTheImport() {
        byte[] withBom = "\uFEFF{\"a\":1}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String importId = upload("{\"format\":\"jsonLines\",\"tableName\":\"notes\"}", withBom);
        JsonNode failed = waitForState(importId, "failed");
        assertThat(failed.get("error_message").asText()).isEqualTo("Hit an error while importing:\n"
                + "UTF-8 BOM is not supported. Please save your file without BOM.");
    }

    @Test
    void finishUploadRejectsBadTableArguments() {
        String token = client.adminJson("/api/import/start_upload", null).json().get("uploadToken").asText();
        assertError(finish("{\"format\":\"zip\",\"tableName\":\"t\"}", token), "InvalidName", "ZIP import cannot have table name");
        assertError(finish("{\"format\":\"csv\"}", token), "InvalidName", "CSV import requires table name");
        assertError(finish("{\"format\":\"jsonLines\"}", token), "InvalidName", "JSONL import requires table name");
        assertError(finish("{\"format\":\"jsonArray\"}", token), "InvalidName", "JSON import requires table name");
        EmulatorClient.Response invalid = finish("{\"format\":\"csv\",\"tableName\":\"bad-name\"}", token);
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.json().get("code").asText()).isEqualTo("ImportInvalidName");
        assertThat(invalid.json().get("message").asText()).isEqualTo("invalid table name bad-name: Identifier bad-name"
                + " has invalid character '-': Identifiers can only contain alphanumeric characters or underscores");
    }

    @Test
    void performAndCancelRejectUnknownOrFinishedImports() {
        EmulatorClient.Response unknown = client.adminJson("/api/perform_import", "{\"importId\":\"nope\"}");
        assertError(unknown, "InvalidImport", "invalid import id nope");
        String importId = upload("{\"format\":\"jsonLines\",\"tableName\":\"notes\"}", "{\"a\":1}\n".getBytes());
        waitForState(importId, "waiting_for_confirmation");
        perform(importId);
        waitForState(importId, "completed");
        EmulatorClient.Response cancel = client.adminJson("/api/cancel_import", "{\"importId\":\"" + importId + "\"}");
        assertError(cancel, "CannotCancelImport", "Cannot cancel an import that has completed");
    }

    @Test
    void cancelMovesAWaitingImportToFailed() {
        String importId = upload("{\"format\":\"jsonLines\",\"tableName\":\"notes\"}", "{\"a\":1}\n".getBytes());
        waitForState(importId, "waiting_for_confirmation");
        assertThat(client.adminJson("/api/cancel_import", "{\"importId\":\"" + importId + "\"}").status()).isEqualTo(200);
        waitForState(importId, "failed");
        assertThat(convex.emulator().documents("notes")).isEmpty();
        EmulatorClient.Response again = client.adminJson("/api/cancel_import", "{\"importId\":\"" + importId + "\"}");
        assertError(again, "CannotCancelImport", "Cannot cancel an import that has failed");
    }

    @Test
    void badJsonLineFailsTheImportWithTheRowNumber() {
        String importId = upload("{\"format\":\"jsonLines\",\"tableName\":\"notes\"}", "{\"a\":1}\n{oops\n".getBytes());
        JsonNode failed = waitForState(importId, "failed");
        assertThat(failed.get("error_message").asText()).startsWith("Hit an error while importing:\nRow 2 wasn't valid JSON: ");
    }

    @Test
    void legacySingleRequestImportReturnsNumWritten() {
        EmulatorClient.Response response = client.postBytes("/api/import?format=jsonLines&tableName=legacy",
                "{\"a\":1}\n{\"a\":2}\n".getBytes(), "Authorization", "Convex " + client.adminKey(),
                "Content-Type", "application/octet-stream");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"numWritten\":2}");
        EmulatorClient.Response again = client.postBytes("/api/import?format=jsonLines&tableName=legacy",
                "{\"a\":3}\n".getBytes(), "Authorization", "Convex " + client.adminKey());
        assertThat(again.status()).isEqualTo(400);
        assertThat(again.json().get("code").asText()).isEqualTo("ImportFailed");
    }

    @Test
    void queryImportListShowsNewestFirst() {
        String first = upload("{\"format\":\"jsonLines\",\"tableName\":\"a\"}", "{\"x\":1}\n".getBytes());
        String second = upload("{\"format\":\"jsonLines\",\"tableName\":\"b\"}", "{\"x\":1}\n".getBytes());
        JsonNode list = client.call("query", "_system/cli/queryImport:list", "[{}]", "convex_encoded_json").get("value");
        assertThat(list).extracting(doc -> doc.get("_id").asText()).containsExactly(second, first);
        assertThat(list.get(0).get("mode").asText()).isEqualTo("RequireEmpty");
        assertThat(list.get(0).get("format").get("format").asText()).isEqualTo("jsonl");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private String upload(String importArgs, byte[] content) {
        String token = client.adminJson("/api/import/start_upload", null).json().get("uploadToken").asText();
        int half = content.length / 2;
        List<byte[]> parts = List.of(java.util.Arrays.copyOfRange(content, 0, half),
                java.util.Arrays.copyOfRange(content, half, content.length));
        StringBuilder partTokens = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            EmulatorClient.Response part = client.postBytes("/api/import/upload_part?uploadToken=" + token
                    + "&partNumber=" + (i + 1), parts.get(i), "Authorization", "Convex " + client.adminKey(),
                    "Content-Type", "application/octet-stream");
            assertThat(part.status()).as(part.body()).isEqualTo(200);
            partTokens.append(i == 0 ? "" : ",").append(part.body());
        }
        EmulatorClient.Response finished = client.adminJson("/api/import/finish_upload", "{\"import\":" + importArgs
                + ",\"uploadToken\":\"" + token + "\",\"partTokens\":[" + partTokens + "]}");
        assertThat(finished.status()).as(finished.body()).isEqualTo(200);
        return finished.json().get("importId").asText();
    }

    private EmulatorClient.Response finish(String importArgs, String token) {
        return client.adminJson("/api/import/finish_upload", "{\"import\":" + importArgs
                + ",\"uploadToken\":\"" + token + "\",\"partTokens\":[]}");
    }

    private void perform(String importId) {
        EmulatorClient.Response response = client.adminJson("/api/perform_import", "{\"importId\":\"" + importId + "\"}");
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
    }

    private JsonNode waitForState(String importId, String wanted) {
        Set<String> stable = Set.of("waiting_for_confirmation", "completed", "failed");
        // Stops at the wanted state or at any state the import stays in, so a wrong outcome fails at once.
        JsonNode state = await("import " + importId + " reaching " + wanted).atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(30))
                .until(() -> ConvexValues.fromEncoded(client.call("query", "_system/cli/queryImport",
                                "[{\"importId\":\"" + importId + "\"}]", "convex_encoded_json").get("value").get("state")),
                        s -> s.get("state").asText().equals(wanted) || stable.contains(s.get("state").asText()));
        assertThat(state.get("state").asText()).as("import %s; last state %s", importId, state).isEqualTo(wanted);
        return state;
    }

    private static void assertError(EmulatorClient.Response response, String code, String message) {
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().get("code").asText()).isEqualTo(code);
        assertThat(response.json().get("message").asText()).isEqualTo(message);
    }

    private static byte[] zip(Map<String, String> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            for (String name : new java.util.TreeMap<>(entries).keySet()) {
                zip.putArchiveEntry(new ZipArchiveEntry(name));
                zip.write(entries.get(name).getBytes(StandardCharsets.UTF_8));
                zip.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** The CLI's confirmation text for an import that changes one table as {@code row} says. */
    private static String changeSummary(String row) {
        return "Import change summary:\n"
                + "table | create | delete |\n"
                + "-------------------------\n"
                + row + "\n"
                + "Once the import has started, it will run in the background.\n"
                + "Interrupting `npx convex import` will not cancel it.";
    }
}

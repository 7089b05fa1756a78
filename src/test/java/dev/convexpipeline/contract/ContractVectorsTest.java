package dev.convexpipeline.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.ConvexFunctionException;
import dev.convexpipeline.convex.ImportMode;
import dev.convexpipeline.convex.ImportOptions;
import dev.convexpipeline.retry.RetryPolicy;
import dev.convexpipeline.convex.SnapshotDocument;
import dev.convexpipeline.convex.TestSnapshots;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Runs the contract's test vectors against the Java emulator over HTTP with the pipeline's own
 * {@link ConvexClient}, exactly as the pipeline calls a deployment. The vitest runner
 * (src/test/contract/contract.test.ts) runs the same files against convex/ with convex-test.
 *
 * <p>With {@code CONTRACT_TEST_URL} and {@code CONTRACT_TEST_ADMIN_KEY} set it targets that
 * deployment instead, so a team can check its real deployment before going live. Each vector
 * first REPLACES the contract's tables by a snapshot import: only point it at a deployment whose
 * data may be wiped (README, "Running the contract against your deployment").
 */
class ContractVectorsTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static ConvexEmulator emulator;
    private static ConvexClient client;

    @BeforeAll
    static void connect() {
        String url = System.getenv("CONTRACT_TEST_URL");
        String key = System.getenv("CONTRACT_TEST_ADMIN_KEY");
        if (url == null || url.isBlank()) {
            emulator = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
            url = emulator.url();
            key = emulator.adminKey();
        } else if (key == null || key.isBlank()) {
            throw new IllegalStateException("CONTRACT_TEST_URL is set but CONTRACT_TEST_ADMIN_KEY is not: set it to the"
                    + " deployment's admin key");
        }
        client = new ConvexClient(ConvexClientConfig.of(url, key)
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(60))
                .withRetryPolicy(new RetryPolicy(3, Duration.ofMillis(200), Duration.ofSeconds(2))));
    }

    @AfterAll
    static void disconnect() {
        client.close();
        if (emulator != null) {
            emulator.close();
        }
    }

    @TestFactory
    Stream<DynamicTest> vectors() {
        List<Path> files = ContractVectors.files();
        assertThat(files).as("vectors in " + ContractVectors.DIRECTORY).isNotEmpty();
        return files.stream().map(file -> {
            ObjectNode vector = ContractVectors.read(file);
            return DynamicTest.dynamicTest(file.getFileName() + ": " + vector.path("name").asText(), () -> run(vector));
        });
    }

    private static void run(ObjectNode vector) {
        Map<String, String> bindings = new HashMap<>();
        seed(vector.path("tables"), bindings);
        JsonNode calls = vector.path("calls");
        for (int i = 0; i < calls.size(); i++) {
            call(calls.get(i), "call " + (i + 1), bindings);
        }
        JsonNode expected = vector.path("expectTables");
        for (String table : ContractVectors.TABLES) {
            ArrayNode documents = NODES.arrayNode();
            try (Stream<SnapshotDocument> rows = client.listSnapshot(table)) {
                rows.forEach(row -> documents.add(row.document()));
            }
            JsonNode wanted = expected.has(table) ? expected.get(table) : NODES.arrayNode();
            assertThat(ContractVectors.unorderedMismatches(wanted, documents, bindings, table))
                    .as("final contents of " + table).isEmpty();
        }
    }

    private static void call(JsonNode call, String label, Map<String, String> bindings) {
        boolean query = call.has("query");
        String path = (query ? call.get("query") : call.get("mutation")).textValue();
        String where = label + " (" + path + ")";
        ObjectNode args = (ObjectNode) ContractVectors.toConvex(call.has("args") ? call.get("args") : NODES.objectNode(), bindings);
        JsonNode value;
        try {
            value = query ? client.query(path, args) : client.mutation(path, args);
        } catch (ConvexFunctionException e) {
            if (call.has("error") && e.errorData() != null) {
                assertThat(ContractVectors.mismatches(call.get("error"), e.errorData(), bindings, "$"))
                        .as(where + ": errorData").isEmpty();
                return;
            }
            if (call.has("errorMessage") && e.errorData() == null) {
                assertThat(e.errorMessage()).as(where + ": error message").contains(call.get("errorMessage").textValue());
                return;
            }
            throw new AssertionError(where + " failed unexpectedly: " + e.getMessage(), e);
        }
        if (call.has("error") || call.has("errorMessage")) {
            fail(where + " succeeded with " + value + " but an error was expected");
        }
        if (call.has("bind")) {
            bindings.put(call.get("bind").textValue(), value.textValue());
        }
        if (call.has("result")) {
            assertThat(ContractVectors.mismatches(call.get("result"), value, bindings, "$")).as(where + ": result").isEmpty();
        }
    }

    /**
     * Replaces every contract table with the vector's initial documents, over the HTTP import API
     * alone so it works on any deployment. Documents that refer to another ({@code $ref}) are
     * imported in a later round, once the IDs they name are known: a named document's ID is found
     * by reading its table back and matching its fields.
     */
    private static void seed(JsonNode tables, Map<String, String> bindings) {
        Map<String, List<JsonNode>> waiting = new LinkedHashMap<>();
        ContractVectors.TABLES.forEach(table -> waiting.put(table, new ArrayList<>()));
        tables.properties().forEach(table -> table.getValue().forEach(doc -> waiting.get(table.getKey()).add(doc)));
        for (int roundNumber = 0; roundNumber == 0 || waiting.values().stream().anyMatch(docs -> !docs.isEmpty());
                roundNumber++) {
            boolean first = roundNumber == 0;
            Map<String, List<JsonNode>> round = new LinkedHashMap<>();
            waiting.forEach((table, docs) -> {
                List<JsonNode> ready = docs.stream().filter(doc -> !ContractVectors.refersToUnbound(doc, bindings)).toList();
                docs.removeAll(ready);
                if (!ready.isEmpty() || first) {
                    round.put(table, ready);
                }
            });
            if (!first && round.isEmpty()) {
                throw new IllegalStateException("vector's initial tables refer to names never bound: " + waiting);
            }
            Map<String, List<ObjectNode>> fields = new LinkedHashMap<>();
            round.forEach((table, docs) -> fields.put(table, docs.stream().map(doc -> withoutName(doc, bindings)).toList()));
            byte[] zip = TestSnapshots.zip(fields);
            client.importSnapshot(new ByteArrayInputStream(zip),
                    ImportOptions.zip(first ? ImportMode.REPLACE : ImportMode.APPEND).withConfirmDeletes(true));
            round.forEach((table, docs) -> bindNames(table, docs, bindings));
        }
    }

    private static ObjectNode withoutName(JsonNode doc, Map<String, String> bindings) {
        ObjectNode fields = ((ObjectNode) doc).deepCopy();
        fields.remove("$name");
        return (ObjectNode) ContractVectors.toConvex(fields, bindings);
    }

    private static void bindNames(String table, List<JsonNode> docs, Map<String, String> bindings) {
        List<JsonNode> named = docs.stream().filter(doc -> doc.has("$name")).toList();
        if (named.isEmpty()) {
            return;
        }
        List<ObjectNode> stored;
        try (Stream<SnapshotDocument> rows = client.listSnapshot(table)) {
            stored = rows.map(SnapshotDocument::document).toList();
        }
        for (JsonNode doc : named) {
            ObjectNode wanted = ((ObjectNode) doc).deepCopy();
            String name = wanted.remove("$name").textValue();
            List<ObjectNode> matches = stored.stream()
                    .filter(row -> ContractVectors.mismatches(wanted, row, bindings, "$").isEmpty()).toList();
            if (matches.size() != 1) {
                throw new IllegalStateException("initial document \"" + name + "\" of " + table + " matches " + matches.size()
                        + " stored documents; give named documents distinct fields");
            }
            bindings.put(name, matches.get(0).get("_id").textValue());
        }
    }
}

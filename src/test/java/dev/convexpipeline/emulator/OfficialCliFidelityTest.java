package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexIds;
import dev.convexpipeline.convex.ConvexValues;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.zip.ZipFile;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official CLI against the emulator, verb by verb: every import Convex refuses is refused with
 * the backend's message and leaves nothing behind, and {@code data}, {@code env},
 * {@code function-spec}, {@code run} and the unsupported verbs answer as documented in
 * docs/emulator.md.
 */
class OfficialCliFidelityTest extends OfficialCliTest {
    /** Any number free in a fresh emulator: the ids of a real deployment's _storage carry its own. */
    private static final int STORAGE_TABLE_NUMBER = 27;

    /** An import file, the CLI arguments before it, and the line the backend answers with. */
    record RefusedImport(String name, String fileName, byte[] content, List<String> args, String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> refusedImports() throws IOException {
        List<RefusedImport> cases = new ArrayList<>();
        cases.add(jsonl("field starting with _", "{\"_secret\":1}\n",
                "Field '_secret' starts with an underscore, which is only allowed for system fields like '_id'"));
        cases.add(jsonl("field starting with $", "{\"$x\":1}\n",
                "Row 1 wasn't a valid Convex value: Field name $x starts with '$', which is reserved."));
        cases.add(jsonl("non-ASCII field name", "{\"\u00e9\":1}\n",
                "Row 1 wasn't a valid Convex value: Field name \u00e9 has invalid character '\u00e9': Field names can only"
                        + " contain non-control ASCII characters"));
        cases.add(jsonl("field name over 1024 characters", "{\"" + "x".repeat(1025) + "\":1}\n",
                "Row 1 wasn't a valid Convex value: Field name is too long (1025 > maximum 1024)"));
        cases.add(jsonl("document over 1 MiB", "{\"s\":\"" + "x".repeat(2_000_000) + "\"}\n",
                "Value is too large (1.91 MiB > maximum size 1 MiB)"));
        cases.add(jsonl("nesting deeper than 16", "{\"a\":".repeat(17) + "1" + "}".repeat(17) + "\n",
                "isn't a valid document: Document is too nested (nested 17 levels deep > maximum nesting 16)"));
        StringBuilder fields = new StringBuilder("{");
        for (int i = 0; i < 1025; i++) {
            fields.append(i == 0 ? "" : ",").append("\"f").append(i).append("\":1");
        }
        cases.add(jsonl("more than 1024 fields", fields + "}\n",
                "Row 1 wasn't a valid Convex value: Object has too many fields (1025 > maximum number 1024)"));
        StringBuilder array = new StringBuilder("{\"a\":[0");
        array.append(",0".repeat(8192));
        cases.add(jsonl("array longer than 8192", array + "]}\n",
                "Row 1 wasn't a valid Convex value: Array length is too long (8193 > maximum length 8192)"));
        cases.add(jsonl("_creationTime -5", "{\"_creationTime\":-5}\n",
                "isn't a valid document: The '_creationTime' field should be a timestamp in milliseconds, is -5"));
        cases.add(jsonl("_creationTime string", "{\"_creationTime\":\"x\"}\n",
                "isn't a valid document: The '_creationTime' field should be a float, is \"x\""));
        cases.add(jsonl("$integer outside a uniform ZIP", "{\"n\":{\"$integer\":\"AQAAAAAAAAA=\"}}\n",
                "Row 1 wasn't a valid Convex value: Field name $integer starts with '$', which is reserved."));
        cases.add(jsonl("blank line", "{\"a\":1}\n\n{\"a\":2}\n",
                "Row 2 wasn't valid JSON: EOF while parsing a value at line 2 column 0"));
        cases.add(file("CSV row missing a field", "t.csv", "a,b\n1,2\n3\n", List.of("--table", "t"),
                "CSV row 2 doesn't have all of the fields in the header"));
        cases.add(file("$bytes in a JSON array", "t.json", "[{\"b\":{\"$bytes\":\"AAE=\"}}]", List.of("--table", "t"),
                "Row 1 wasn't a valid Convex value: Field name $bytes starts with '$', which is reserved."));
        cases.add(file("CSV header $b", "t.csv", "a,$b\n1,2\n", List.of("--table", "t"),
                "CSV header \"$b\" isn't a valid field name: Field name $b starts with '$', which is reserved."));
        cases.add(file("JSON array over 16 MiB", "t.json", "[" + ("{\"s\":\"" + "x".repeat(1000) + "\"},").repeat(17_000)
                        + "{}]", List.of("--table", "t"),
                "Import is too large for JSON (16777217 bytes > maximum 16 MiB). Consider converting data to JSONLines"));
        cases.add(file("--table _sys", "t.jsonl", "{\"a\":1}\n", List.of("--table", "_sys"),
                "Invalid table name _sys starts with metadata prefix '_'"));
        cases.add(file("ZIP table bad-name", "t.zip", zip("bad-name/documents.jsonl", "{\"a\":1}\n"), List.of(),
                "table name 'bad-name' invalid: Identifier bad-name has invalid character '-': Identifiers can only"
                        + " contain alphanumeric characters or underscores"));
        cases.add(file("ZIP $integer without generated_schema", "t.zip",
                zip("t/documents.jsonl", "{\"n\":{\"$integer\":\"AQAAAAAAAAA=\"}}\n"), List.of(),
                "Row 1 wasn't a valid Convex value: Field name $integer starts with '$', which is reserved."));
        cases.add(file("ZIP with component tables", "t.zip", zip("_components/c/t/documents.jsonl", "{\"a\":1}\n"),
                List.of(), "This snapshot has component data (_components/c/), but the Convex emulator has no components"));
        cases.add(file("--component", "t.jsonl", "{\"a\":1}\n", List.of("--table", "t", "--component", "c"),
                "ComponentsNotSupported: Cannot import into component 'c': the Convex emulator has no components."));
        return cases.stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedImports")
    void importRefusesWhatConvexRefusesAndStoresNothing(RefusedImport refused, @TempDir Path temp) throws Exception {
        emulator.runMutation("users:upsert", NODES.objectNode().put("authSubject", "keep|me"));
        Path file = temp.resolve(refused.fileName());
        Files.write(file, refused.content());
        List<String> args = new ArrayList<>(List.of("import", "-y"));
        args.addAll(refused.args());
        args.add(file.toString());

        ConvexCli.Result result = cli(args.toArray(String[]::new));

        assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
        assertThat(result.output()).contains("failed").contains(refused.expected());
        assertThat(emulator.store().latest().userTablesByNumber()).extracting(table -> table.name())
                .as("a refused import leaves no table behind").containsExactly("users");
        assertThat(emulator.documents("users")).hasSize(1);
    }

    @Test
    void csvNanAndInfinityBecomeNullAndTheSummarySaysNOfM(@TempDir Path temp) throws Exception {
        Path csv = temp.resolve("n.csv");
        Files.writeString(csv, "a,b,c\nNaN,inf,1.5\n");
        emulator.insert("n", NODES.objectNode().put("a", "old"));
        emulator.insert("n", NODES.objectNode().put("a", "older"));

        ConvexCli.Result result = cli("import", "-y", "--replace", "--table", "n", csv.toString());

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("| 2 of 2 |").doesNotContain("of 2 documents");
        ObjectNode row = emulator.documents("n").get(0);
        assertThat(row.get("a").isNull()).isTrue();
        assertThat(row.get("b").isNull()).isTrue();
        assertThat(row.get("c").doubleValue()).isEqualTo(1.5);
    }

    @Test
    void uniformZipDecodesIntegersAndBytes(@TempDir Path temp) throws Exception {
        Path zip = temp.resolve("u.zip");
        Files.write(zip, zip("t/documents.jsonl", "{\"n\":{\"$integer\":\"AQAAAAAAAAA=\"},\"b\":{\"$bytes\":\"AAE=\"}}\n",
                "t/generated_schema.jsonl", "\"uniform\"\n"));

        ConvexCli.Result result = cli("import", "-y", zip.toString());

        assertThat(result.exitCode()).as(result.output()).isZero();
        ObjectNode row = emulator.documents("t").get(0);
        assertThat(row.get("n").isIntegralNumber()).isTrue();
        assertThat(row.get("n").longValue()).isEqualTo(1L);
        assertThat(row.get("b").binaryValue()).containsExactly(0, 1);
    }

    @Test
    void dataListsTablesAndPagesDocumentsInEitherOrder() throws Exception {
        for (String subject : List.of("a|1", "b|2", "c|3")) {
            emulator.runMutation("users:upsert", NODES.objectNode().put("authSubject", subject));
        }
        emulator.insert("notes", NODES.objectNode().put("text", "hi"));

        ConvexCli.Result tables = cli("data");
        assertThat(tables.exitCode()).as(tables.output()).isZero();
        assertThat(tables.output()).contains("notes\nusers");

        ConvexCli.Result oldest = cli("data", "users", "--limit", "2", "--order", "asc", "--format", "jsonLines");
        assertThat(oldest.exitCode()).as(oldest.output()).isZero();
        assertThat(oldest.output()).contains("\"a|1\"").contains("\"b|2\"").doesNotContain("\"c|3\"");

        ConvexCli.Result newest = cli("data", "users", "--limit", "1");
        assertThat(newest.exitCode()).as(newest.output()).isZero();
        assertThat(newest.output()).contains("\"c|3\"").doesNotContain("\"a|1\"")
                .contains("Showing the 1 most recently created document");

        ConvexCli.Result component = cli("data", "--component", "payments");
        assertThat(component.exitCode()).isEqualTo(1);
        assertThat(component.output()).contains("Component 'payments' not found: the Convex emulator has no components.")
                .as("never the app's own tables shown as the component's").doesNotContain("notes\nusers");
    }

    @Test
    void envSetListGetAndRemove() throws Exception {
        assertThat(cli("env", "set", "FEATURE_FLAG", "on").output()).contains("Successfully set FEATURE_FLAG");
        assertThat(cli("env", "set", "OTHER=2").exitCode()).isZero();
        ConvexCli.Result list = cli("env", "list");
        assertThat(list.exitCode()).as(list.output()).isZero();
        assertThat(list.output()).contains("FEATURE_FLAG=on\nOTHER=2");
        assertThat(cli("env", "get", "FEATURE_FLAG").output()).contains("on");

        assertThat(cli("env", "remove", "FEATURE_FLAG").output()).contains("Successfully unset FEATURE_FLAG");
        assertThat(cli("env", "get", "FEATURE_FLAG").output()).contains("Environment variable \"FEATURE_FLAG\" not found");

        ConvexCli.Result invalid = cli("env", "set", "1BAD", "x");
        assertThat(invalid.exitCode()).isEqualTo(1);
        assertThat(invalid.output()).contains("EnvironmentVariableNameInvalid: The environment variable name 1BAD is invalid.");
    }

    @Test
    void functionSpecListsTheEmulatorsFunctions() throws Exception {
        ConvexCli.Result result = cli("function-spec");

        assertThat(result.exitCode()).as(result.output()).isZero();
        JsonNode spec = ConvexValues.MAPPER.readTree(result.output().substring(result.output().indexOf('{')));
        assertThat(spec.get("url").asText()).isEqualTo(emulator.url());
        assertThat(spec.get("functions").findValuesAsText("identifier")).contains("users.js:upsert", "stripe.js:applyEvent")
                .noneMatch(identifier -> identifier.startsWith("_system/"));
        JsonNode upsert = null;
        for (JsonNode function : spec.get("functions")) {
            if (function.get("identifier").asText().equals("users.js:upsert")) {
                upsert = function;
            }
        }
        assertThat(upsert.get("functionType").asText()).isEqualTo("Mutation");
        assertThat(upsert.get("args").get("type").asText()).isEqualTo("any");
    }

    @Test
    void runOfAnUnknownFunctionListsTheAvailableOnes() throws Exception {
        ConvexCli.Result result = cli("run", "nope:missing");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.output()).contains("Failed to run function \"nope:missing\"")
                .contains("Available functions:").contains("users:upsert").contains("stripe:applyEvent");
    }

    @Test
    void runInAComponentIsRefusedNotAnsweredFromTheAppsTables() throws Exception {
        ConvexCli.Result result = cli("run", "--component", "payments", "users:list");

        assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
        assertThat(result.output()).contains("Component 'payments' not found: the Convex emulator has no components.");
    }

    @Test
    void deployInlineQueryAndLogsAnswerAtOnceWithWhatToDoInstead() throws Exception {
        Path codegen = ConvexCli.PROJECT.resolve("convex");
        boolean hadCodegen = Files.exists(codegen);
        long started = System.nanoTime();
        ConvexCli.Result deploy = cli("deploy", "-y");
        if (!hadCodegen) {
            // deploy runs codegen into the CLI project before it reaches the emulator; leave the tree as it was.
            try (Stream<Path> files = Files.walk(codegen)) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
        ConvexCli.Result inline = cli("run", "--inline-query", "await ctx.db.query(\"users\").take(1)");
        ConvexCli.Result logs = cli("logs");
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;

        assertThat(deploy.exitCode()).isEqualTo(1);
        assertThat(deploy.output()).contains("501 Not Implemented: DeployNotSupported: The Convex emulator does not take code pushes");
        assertThat(inline.exitCode()).isEqualTo(1);
        assertThat(inline.output()).contains("InlineQueryNotSupported: The Convex emulator cannot run JavaScript");
        assertThat(logs.exitCode()).isEqualTo(1);
        assertThat(logs.output()).contains("The Convex emulator has no function log stream");
        assertThat(deploy.output() + inline.output() + logs.output()).doesNotContain("Retrying request");
        assertThat(seconds).as("no retries: three commands well under the 37 s one 404 used to cost").isLessThan(30);
    }

    @Test
    void fileStorageRoundTripsThroughImportAndExportCheckedBySha256(@TempDir Path temp) throws Exception {
        String storageId = ConvexIds.generate(STORAGE_TABLE_NUMBER);
        byte[] body = "%PDF-1.7 not really a pdf \u0000\u0001".getBytes(StandardCharsets.UTF_8);
        String sha256 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body));
        Path snapshot = temp.resolve("with-files.zip");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(snapshot))) {
            zip.putNextEntry(new ZipEntry("_storage/documents.jsonl"));
            zip.write(("{\"_id\":\"" + storageId + "\",\"_creationTime\":1700000000000.5,\"sha256\":\"" + sha256
                    + "\",\"size\":" + body.length + ",\"contentType\":\"application/pdf\",\"internalId\":null}\n")
                    .getBytes(StandardCharsets.UTF_8));
            zip.putNextEntry(new ZipEntry("_storage/" + storageId + ".pdf"));
            zip.write(body);
            zip.putNextEntry(new ZipEntry("notes/documents.jsonl"));
            zip.write(("{\"file\":\"" + storageId + "\"}\n").getBytes(StandardCharsets.UTF_8));
        }

        ConvexCli.Result imported = cli("import", "-y", snapshot.toString());
        assertThat(imported.exitCode()).as(imported.output()).isZero();
        ConvexCli.Result listed = cli("data", "_storage", "--format", "jsonLines");
        assertThat(listed.output()).contains(storageId).contains(sha256).contains("application/pdf");

        Path exported = temp.resolve("exported.zip");
        ConvexCli.Result export = cli("export", "--include-file-storage", "--path", exported.toString());
        assertThat(export.exitCode()).as(export.output()).isZero();
        try (ZipFile zip = new ZipFile(exported.toFile())) {
            assertThat(zip.getInputStream(zip.getEntry("_storage/" + storageId)).readAllBytes()).isEqualTo(body);
            JsonNode metadata = ConvexValues.MAPPER.readTree(
                    zip.getInputStream(zip.getEntry("_storage/documents.jsonl")).readAllBytes());
            assertThat(metadata.get("_id").asText()).isEqualTo(storageId);
            assertThat(metadata.get("_creationTime").doubleValue()).isEqualTo(1700000000000.5);
            assertThat(metadata.get("sha256").asText()).isEqualTo(sha256);
            assertThat(metadata.get("size").asLong()).isEqualTo(body.length);
            assertThat(metadata.get("contentType").asText()).isEqualTo("application/pdf");
        }

        try (ConvexEmulator other = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start()) {
            ConvexCli.Result again = ConvexCli.convex(other.url(), other.adminKey(), "import", "-y", exported.toString());
            assertThat(again.exitCode()).as(again.output()).isZero();
            assertThat(other.documents("_storage")).singleElement()
                    .satisfies(file -> assertThat(file.get("sha256").asText()).isEqualTo(sha256));
            assertThat(other.documents("notes")).hasSize(1);
        }
    }

    @Test
    void fileStorageWithADamagedOrMissingBodyIsRefused(@TempDir Path temp) throws Exception {
        String storageId = ConvexIds.generate(STORAGE_TABLE_NUMBER);
        String row = "{\"_id\":\"" + storageId + "\",\"sha256\":\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\",\"size\":0}\n";
        Path damaged = Files.write(temp.resolve("damaged.zip"), zip("_storage/documents.jsonl", row,
                "_storage/" + storageId, "not empty"));
        Path missing = Files.write(temp.resolve("missing.zip"), zip("_storage/documents.jsonl", row));

        ConvexCli.Result damagedResult = cli("import", "-y", damaged.toString());
        assertThat(damagedResult.exitCode()).isEqualTo(1);
        assertThat(damagedResult.output()).contains("_storage file " + storageId + " is damaged: its sha256 is");
        ConvexCli.Result missingResult = cli("import", "-y", missing.toString());
        assertThat(missingResult.exitCode()).isEqualTo(1);
        assertThat(missingResult.output()).contains("_storage entry " + storageId + " has no file in the snapshot");
        assertThat(emulator.store().latest().table("_storage")).isEmpty();
    }

    private static RefusedImport jsonl(String name, String content, String expected) {
        return file(name, "t.jsonl", content, List.of("--table", "t"), expected);
    }

    private static RefusedImport file(String name, String fileName, String content, List<String> args, String expected) {
        return file(name, fileName, content.getBytes(StandardCharsets.UTF_8), args, expected);
    }

    private static RefusedImport file(String name, String fileName, byte[] content, List<String> args, String expected) {
        return new RefusedImport(name, fileName, content, args, expected);
    }

    /** A ZIP of name/content pairs. */
    static byte[] zip(String... namesAndContents) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (int i = 0; i < namesAndContents.length; i += 2) {
                zip.putNextEntry(new ZipEntry(namesAndContents[i]));
                OutputStream out = zip;
                out.write(namesAndContents[i + 1].getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}

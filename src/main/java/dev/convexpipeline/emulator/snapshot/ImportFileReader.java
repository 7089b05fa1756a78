package dev.convexpipeline.emulator.snapshot;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.convex.ImportFormat;
import dev.convexpipeline.emulator.store.DocumentRules;
import dev.convexpipeline.emulator.store.TableNames;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackInputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streams the documents of an uploaded import file from disk (docs/convex-wire.md §3.5), calling the
 * visitor table by table. Nothing is held in memory beyond one document.
 */
final class ImportFileReader {
    private static final Pattern DOCUMENTS_ENTRY = Pattern.compile("(.*/)?([^/]+)/documents\\.jsonl");
    private static final Pattern SCHEMA_ENTRY = Pattern.compile("(.*/)?([^/]+)/generated_schema\\.jsonl");
    /** A stored file's body: {@code _storage/<id>} with an optional extension and prefix. */
    private static final Pattern STORAGE_FILE_ENTRY = Pattern.compile("(.*/)?_storage/([^/.]+)(?:\\.[^/]+)?");
    /** Like the backend, a JSON array import is read whole, so it may be at most this large. */
    static final long MAX_JSON_ARRAY_BYTES = 16L * 1024 * 1024;
    /** What Rust's {@code str::parse::<f64>} accepts. */
    private static final Pattern RUST_FLOAT = Pattern.compile(
            "[+-]?(?:inf|infinity|nan|\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)",
            Pattern.CASE_INSENSITIVE);

    /** Receives the import's content. */
    interface Visitor {
        /** A ZIP's {@code _tables} entry assigned this number to the table. */
        default void tableNumber(String table, int number) {
        }

        void beginTable(String table);

        void document(String table, ObjectNode document);

        /** A stored file: its {@code _storage/documents.jsonl} row (at least {@code _id}) and its body. */
        default void storageFile(ObjectNode metadata, Body body) {
        }
    }

    /** Opens a stored file's body from the ZIP when the writer wants it. */
    interface Body {
        InputStream open() throws IOException;
    }

    private ImportFileReader() {
    }

    static void read(ImportFormat format, String tableName, Path file, Visitor visitor) throws IOException {
        switch (format) {
            case JSON_LINES -> {
                visitor.beginTable(tableName);
                try (InputStream in = rejectBom(Files.newInputStream(file))) {
                    readJsonLines(new InputStreamReader(in, StandardCharsets.UTF_8), tableName, ConvexValues::fromInferred, visitor);
                }
            }
            case JSON_ARRAY -> {
                visitor.beginTable(tableName);
                long size = Files.size(file);
                if (size > MAX_JSON_ARRAY_BYTES) {
                    // The backend reads one byte past the limit and reports that count.
                    throw new ImportFailure("JsonArrayTooLarge", "Import is too large for JSON ("
                            + (MAX_JSON_ARRAY_BYTES + 1) + " bytes > maximum 16 MiB). Consider converting data to JSONLines");
                }
                try (InputStream in = rejectBom(Files.newInputStream(file))) {
                    readJsonArray(in, tableName, visitor);
                }
            }
            case CSV -> {
                visitor.beginTable(tableName);
                try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    readCsv(in, tableName, visitor);
                }
            }
            case ZIP -> readZip(file, visitor, true);
        }
    }

    /**
     * The user tables an import writes, known before reading any document: the given table, or a
     * ZIP's table directories plus the names its {@code _tables} entry lists.
     */
    static java.util.Set<String> tableNames(ImportFormat format, String tableName, Path file) throws IOException {
        if (format != ImportFormat.ZIP) {
            return java.util.Set.of(tableName);
        }
        java.util.Set<String> names = new java.util.TreeSet<>();
        readZip(file, new Visitor() {
            @Override
            public void tableNumber(String table, int number) {
                names.add(table);
            }

            @Override
            public void beginTable(String table) {
                names.add(table);
            }

            @Override
            public void document(String table, ObjectNode document) {
            }
        }, false);
        names.removeIf(name -> name.startsWith("_"));
        return names;
    }

    private static void readJsonLines(Reader reader, String table, UnaryOperator<JsonNode> decode, Visitor visitor)
            throws IOException {
        BufferedReader lines = new BufferedReader(reader);
        String line;
        int row = 0;
        while ((line = lines.readLine()) != null) {
            row++;
            if (line.isBlank()) {
                // serde_json sees only the line break: the backend fails the import here.
                throw new ImportFailure("JsonInvalidRow", "Row " + row
                        + " wasn't valid JSON: EOF while parsing a value at line 2 column 0");
            }
            JsonNode parsed;
            try {
                parsed = ConvexValues.MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                throw new ImportFailure("JsonInvalidRow", "Row " + row + " wasn't valid JSON: " + e.getOriginalMessage());
            }
            visitor.document(table, asDocument(decode, parsed, row));
        }
    }

    private static void readJsonArray(InputStream in, String table, Visitor visitor) throws IOException {
        try (JsonParser parser = ConvexValues.MAPPER.getFactory().createParser(in)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new ImportFailure("NotJsonArray", "Not a JSON array");
            }
            int row = 0;
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                row++;
                if (parser.currentToken() == null) {
                    throw new ImportFailure("Import input ended before the JSON array was closed");
                }
                JsonNode element = ConvexValues.MAPPER.readTree(parser);
                visitor.document(table, asDocument(ConvexValues::fromInferred, element, row));
            }
        } catch (JsonProcessingException e) {
            throw new ImportFailure("NotJson", "Not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static void readCsv(Reader in, String table, Visitor visitor) throws IOException {
        CsvMapper mapper = new CsvMapper();
        List<String> header = null;
        int row = 0;
        try (MappingIterator<List<String>> rows = mapper.readerForListOf(String.class)
                .with(CsvParser.Feature.WRAP_AS_ARRAY).readValues(in)) {
            while (rows.hasNextValue()) {
                List<String> cells = rows.nextValue();
                row++;
                if (header == null) {
                    header = new ArrayList<>();
                    for (String name : cells) {
                        String trimmed = name.replaceAll("^ +| +$", "");
                        String problem = DocumentRules.fieldNameProblem(trimmed);
                        if (problem != null) {
                            throw new ImportFailure("CsvInvalidHeader", "CSV header \"" + trimmed
                                    + "\" isn't a valid field name: " + problem);
                        }
                        header.add(trimmed);
                    }
                    continue;
                }
                if (cells.size() == 1 && cells.get(0).isEmpty() && header.size() != 1) {
                    continue;
                }
                if (cells.size() != header.size()) {
                    throw new ImportFailure("CsvRowMissingFields", "CSV row " + (row - 1)
                            + " doesn't have all of the fields in the header");
                }
                ObjectNode document = JsonNodeFactory.instance.objectNode();
                for (int i = 0; i < cells.size(); i++) {
                    document.set(header.get(i), csvCell(cells.get(i)));
                }
                visitor.document(table, sortedCopy(document));
            }
        }
        if (header == null) {
            throw new ImportFailure("CsvMissingHeaders", "CSV file doesn't have headers");
        }
    }

    private static JsonNode csvCell(String cell) {
        if (RUST_FLOAT.matcher(cell).matches()) {
            String lower = cell.toLowerCase(java.util.Locale.ROOT);
            String unsigned = lower.replaceFirst("^[+-]", "");
            if (unsigned.equals("inf") || unsigned.equals("infinity") || unsigned.equals("nan")) {
                // The backend turns the parsed float into a JSON value, and JSON has no NaN or infinity.
                return JsonNodeFactory.instance.nullNode();
            }
            return ConvexValues.float64(Double.parseDouble(cell));
        }
        return JsonNodeFactory.instance.textNode(cell);
    }

    private static void readZip(Path file, Visitor visitor, boolean withDocuments) throws IOException {
        try (ZipFile zip = ZipFile.builder().setPath(file).get()) {
            Map<String, ZipArchiveEntry> documents = new LinkedHashMap<>();
            Map<String, ZipArchiveEntry> schemas = new LinkedHashMap<>();
            Map<String, ZipArchiveEntry> storedFiles = new LinkedHashMap<>();
            for (ZipArchiveEntry entry : Collections.list(zip.getEntries())) {
                if (entry.isDirectory()) {
                    continue;
                }
                String name = entry.getName();
                Matcher docs = DOCUMENTS_ENTRY.matcher(name);
                Matcher schema = SCHEMA_ENTRY.matcher(name);
                if (docs.matches()) {
                    rejectComponent(docs.group(1));
                    documents.put(tableName(docs.group(2)), entry);
                } else if (schema.matches()) {
                    rejectComponent(schema.group(1));
                    schemas.put(tableName(schema.group(2)), entry);
                } else {
                    Matcher stored = STORAGE_FILE_ENTRY.matcher(name);
                    if (stored.matches()) {
                        rejectComponent(stored.group(1));
                        storedFiles.put(stored.group(2), entry);
                    }
                }
            }
            ZipArchiveEntry storage = documents.remove("_storage");
            ZipArchiveEntry tables = documents.remove("_tables");
            if (tables != null) {
                try (InputStream in = zip.getInputStream(tables)) {
                    readJsonLines(new InputStreamReader(in, StandardCharsets.UTF_8), "_tables",
                            UnaryOperator.identity(), new Visitor() {
                                @Override
                                public void beginTable(String table) {
                                }

                                @Override
                                public void document(String table, ObjectNode entry) {
                                    if (!entry.path("name").isTextual() || !entry.path("id").canConvertToInt()) {
                                        throw new ImportFailure("_tables entries need a name and an id: " + entry);
                                    }
                                    visitor.tableNumber(entry.get("name").textValue(), entry.get("id").intValue());
                                }
                            });
                }
            }
            if (withDocuments) {
                readStorage(zip, storage, storedFiles, visitor);
            }
            for (Map.Entry<String, ZipArchiveEntry> table : documents.entrySet()) {
                String name = table.getKey();
                if (name.startsWith("_")) {
                    // Like the backend: system tables other than _tables and _storage are not imported.
                    continue;
                }
                UnaryOperator<JsonNode> decode = isUniform(zip, schemas.get(name))
                        ? ConvexValues::fromExportJson : ConvexValues::fromInferred;
                visitor.beginTable(name);
                if (!withDocuments) {
                    continue;
                }
                try (InputStream in = zip.getInputStream(table.getValue())) {
                    readJsonLines(new InputStreamReader(in, StandardCharsets.UTF_8), name, decode, visitor);
                }
            }
        }
    }

    /** A ZIP directory must be a valid table name, checked as the backend parses entry names. */
    private static String tableName(String directory) {
        TableNames.problemWithIdentifier(directory).ifPresent(problem -> {
            throw new ImportFailure("InvalidTableName", "table name '" + directory + "' invalid: " + problem);
        });
        return directory;
    }

    /** Components' tables live under {@code _components/<name>/}; the emulator has no components. */
    private static void rejectComponent(String prefix) {
        if (prefix != null && (prefix.startsWith("_components/") || prefix.contains("/_components/"))) {
            throw new ImportFailure("ComponentsNotSupported", "This snapshot has component data (" + prefix
                    + "), but the Convex emulator has no components, so importing it would lose that data."
                    + " Import it into a Convex deployment, or import only the app's own tables.");
        }
    }

    /**
     * Pairs each {@code _storage/documents.jsonl} row with its body. A body without a row is still
     * imported, as the backend does; a row without a body fails the import instead of silently
     * leaving a file out.
     */
    private static void readStorage(ZipFile zip, ZipArchiveEntry metadata, Map<String, ZipArchiveEntry> bodies,
                                    Visitor visitor) throws IOException {
        Map<String, ZipArchiveEntry> unmatched = new LinkedHashMap<>(bodies);
        if (metadata != null) {
            try (InputStream in = zip.getInputStream(metadata)) {
                readJsonLines(new InputStreamReader(in, StandardCharsets.UTF_8), "_storage", UnaryOperator.identity(),
                        new Visitor() {
                            @Override
                            public void beginTable(String table) {
                            }

                            @Override
                            public void document(String table, ObjectNode row) {
                                JsonNode id = row.get("_id");
                                if (id == null || !id.isTextual()) {
                                    throw new ImportFailure("InvalidConvexValue", "_storage entry " + row
                                            + " has no string _id");
                                }
                                ZipArchiveEntry body = unmatched.remove(id.textValue());
                                if (body == null) {
                                    throw new ImportFailure("MissingStorageFile", "_storage entry " + id.textValue()
                                            + " has no file in the snapshot (expected _storage/" + id.textValue()
                                            + "); the import would lose it");
                                }
                                visitor.storageFile(row, () -> zip.getInputStream(body));
                            }
                        });
            }
        }
        for (Map.Entry<String, ZipArchiveEntry> body : unmatched.entrySet()) {
            ObjectNode row = JsonNodeFactory.instance.objectNode().put("_id", body.getKey());
            visitor.storageFile(row, () -> zip.getInputStream(body.getValue()));
        }
    }

    private static boolean isUniform(ZipFile zip, ZipArchiveEntry schema) throws IOException {
        if (schema == null) {
            return false;
        }
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(zip.getInputStream(schema), StandardCharsets.UTF_8))) {
            String first = reader.readLine();
            return first != null && first.trim().equals("\"uniform\"");
        }
    }

    private static ObjectNode asDocument(UnaryOperator<JsonNode> decode, JsonNode parsed, int row) {
        if (!parsed.isObject()) {
            throw new ImportFailure("NotAnObject", "Row " + row + " wasn't an object");
        }
        JsonNode decoded;
        try {
            decoded = decode.apply(parsed);
            DocumentRules.checkValue(decoded);
        } catch (ConvexValues.InvalidValueException | DocumentRules.Violation e) {
            throw new ImportFailure("InvalidConvexValue", "Row " + row + " wasn't a valid Convex value: " + e.getMessage());
        }
        return sortedCopy((ObjectNode) decoded);
    }

    private static ObjectNode sortedCopy(ObjectNode document) {
        java.util.TreeMap<String, JsonNode> fields = new java.util.TreeMap<>();
        document.fields().forEachRemaining(field -> fields.put(field.getKey(), field.getValue()));
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        fields.forEach(out::set);
        return out;
    }

    private static InputStream rejectBom(InputStream in) throws IOException {
        PushbackInputStream pushback = new PushbackInputStream(in, 3);
        byte[] head = new byte[3];
        int read = pushback.readNBytes(head, 0, 3);
        if (read == 3 && (head[0] & 0xff) == 0xEF && (head[1] & 0xff) == 0xBB && (head[2] & 0xff) == 0xBF) {
            throw new ImportFailure("Utf8BomNotSupported", "UTF-8 BOM is not supported. Please save your file without BOM.");
        }
        if (read > 0) {
            pushback.unread(head, 0, read);
        }
        return pushback;
    }
}

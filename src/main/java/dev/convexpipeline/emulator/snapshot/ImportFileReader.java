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
 * Streams the documents of an uploaded import file from disk (convex-api.md §3.5), calling the
 * visitor table by table. Nothing is held in memory beyond one document.
 */
final class ImportFileReader {
    private static final Pattern DOCUMENTS_ENTRY = Pattern.compile("(.*/)?([^/]+)/documents\\.jsonl");
    private static final Pattern SCHEMA_ENTRY = Pattern.compile("(.*/)?([^/]+)/generated_schema\\.jsonl");
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
                continue;
            }
            JsonNode parsed;
            try {
                parsed = ConvexValues.MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                throw new ImportFailure("Row " + row + " wasn't valid JSON: " + e.getOriginalMessage());
            }
            visitor.document(table, asDocument(decode, parsed, row));
        }
    }

    private static void readJsonArray(InputStream in, String table, Visitor visitor) throws IOException {
        try (JsonParser parser = ConvexValues.MAPPER.getFactory().createParser(in)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new ImportFailure("Import input should be a JSON array of objects");
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
            throw new ImportFailure("Import input wasn't valid JSON: " + e.getOriginalMessage());
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
                        header.add(name.trim());
                    }
                    continue;
                }
                if (cells.size() == 1 && cells.get(0).isEmpty() && header.size() != 1) {
                    continue;
                }
                if (cells.size() != header.size()) {
                    throw new ImportFailure("CSV row " + row + " has " + cells.size()
                            + " fields but the header has " + header.size());
                }
                ObjectNode document = JsonNodeFactory.instance.objectNode();
                for (int i = 0; i < cells.size(); i++) {
                    document.set(header.get(i), csvCell(cells.get(i)));
                }
                visitor.document(table, sortedCopy(document));
            }
        }
        if (header == null) {
            throw new ImportFailure("CSV file is missing a header row");
        }
    }

    private static JsonNode csvCell(String cell) {
        if (RUST_FLOAT.matcher(cell).matches()) {
            String lower = cell.toLowerCase(java.util.Locale.ROOT);
            String sign = lower.startsWith("-") ? "-" : "";
            String unsigned = lower.replaceFirst("^[+-]", "");
            if (unsigned.equals("inf") || unsigned.equals("infinity")) {
                return ConvexValues.float64(sign.isEmpty() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY);
            }
            if (unsigned.equals("nan")) {
                return ConvexValues.float64(Double.NaN);
            }
            return ConvexValues.float64(Double.parseDouble(cell));
        }
        return JsonNodeFactory.instance.textNode(cell);
    }

    private static void readZip(Path file, Visitor visitor, boolean withDocuments) throws IOException {
        try (ZipFile zip = ZipFile.builder().setPath(file).get()) {
            Map<String, ZipArchiveEntry> documents = new LinkedHashMap<>();
            Map<String, ZipArchiveEntry> schemas = new LinkedHashMap<>();
            for (ZipArchiveEntry entry : Collections.list(zip.getEntries())) {
                if (entry.isDirectory() || entry.getName().startsWith("_components/")) {
                    continue;
                }
                Matcher docs = DOCUMENTS_ENTRY.matcher(entry.getName());
                Matcher schema = SCHEMA_ENTRY.matcher(entry.getName());
                if (docs.matches()) {
                    documents.put(docs.group(2), entry);
                } else if (schema.matches()) {
                    schemas.put(schema.group(2), entry);
                }
            }
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
            for (Map.Entry<String, ZipArchiveEntry> table : documents.entrySet()) {
                String name = table.getKey();
                if (name.startsWith("_")) {
                    // System tables other than _tables are not imported; the emulator has no file storage.
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
            throw new ImportFailure("Row " + row + " wasn't an object");
        }
        JsonNode decoded;
        try {
            decoded = decode.apply(parsed);
        } catch (ConvexValues.InvalidValueException e) {
            throw new ImportFailure("Row " + row + " wasn't a valid Convex value: " + e.getMessage());
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
            throw new ImportFailure("UTF-8 BOM is not supported. Please remove the BOM from the file and try again.");
        }
        if (read > 0) {
            pushback.unread(head, 0, read);
        }
        return pushback;
    }
}

package dev.convexpipeline.pitr;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.convex.SnapshotZipFormat;
import dev.convexpipeline.backup.BackupEntry;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.backup.SnapshotScanner;
import dev.convexpipeline.backup.TableDigest;
import dev.convexpipeline.convex.ConvexIds;
import dev.convexpipeline.convex.ConvexValues;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;

/**
 * Writes the snapshot ZIP of the deployment's state at one moment: a base backup with the captured
 * changes after it applied, in the layout {@code npx convex export} writes (README.md,
 * {@code _tables/documents.jsonl}, {@code <table>/documents.jsonl} and
 * {@code <table>/generated_schema.jsonl}).
 *
 * <p>Memory stays bounded whatever the base size. First the segments are read once: the newest
 * version of every changed document is appended to a spill file on disk, and only an index of the
 * changed ids (id → table, offset or deleted) is held. Then the base ZIP is streamed entry by entry:
 * a line whose id is not in the index is copied byte for byte, and at the end of each table the
 * changed documents of that table are read back from the spill file. Tables first written after the
 * base come last, their numbers taken from their ids.
 */
public final class Materializer {
    private static final JsonFactory JSON = new JsonFactory();
    private static final byte[] UNIFORM_SCHEMA = "\"uniform\"\n".getBytes(StandardCharsets.UTF_8);

    /** Changed ids held in memory before the index moves to disk (~200 bytes each). */
    static final int DEFAULT_INDEX_MEMORY_LIMIT = 500_000;

    private final BackupTarget target;
    private final Path spillDirectory;
    private final int indexMemoryLimit;

    /**
     * What was written.
     *
     * @param tables        per user table: documents and {@link TableDigest}, as the backup manifest has them
     * @param documents     documents in all user tables
     * @param changesApplied change lines read at or before the moment (after the base)
     * @param changedIds    distinct documents those changes touched
 * @param indexOnDisk   the changed ids exceeded the memory limit and were indexed on disk
     */
    public record Result(Map<String, SnapshotScanner.TableStats> tables, long documents, long changesApplied, long changedIds,
                         boolean indexOnDisk) {
    }

    public Materializer(BackupTarget target, Path spillDirectory) {
        this(target, spillDirectory, DEFAULT_INDEX_MEMORY_LIMIT);
    }

    Materializer(BackupTarget target, Path spillDirectory, int indexMemoryLimit) {
        this.target = target;
        this.spillDirectory = spillDirectory;
        this.indexMemoryLimit = indexMemoryLimit;
    }

    /**
     * Streams the state at {@code atTs} to {@code out} (left open).
     *
     * @param tables only these tables, or null for every table
     */
    public Result write(RestorePlan plan, Set<String> tables, OutputStream out) throws IOException {
        long baseTs = plan.baseTs();
        long atTs = plan.atTs();
        Path spill = Files.createTempFile(spillDirectory, "restore-changes-", ".jsonl");
        try (RandomAccessFile changesFile = new RandomAccessFile(spill.toFile(), "rw");
             ChangedIds index = new ChangedIds(spillDirectory, indexMemoryLimit)) {
            Map<String, Integer> newTableNumbers = new TreeMap<>();
            long applied = readChanges(plan, tables, baseTs, atTs, changesFile, index, newTableNumbers);
            index.seal();
            Map<String, SnapshotScanner.TableStats> stats = new TreeMap<>();
            ZipArchiveOutputStream zip = new ZipArchiveOutputStream(nonClosing(out));
            zip.setMethod(ZipEntry.DEFLATED);
            SnapshotZipFormat.writeEntry(zip, "README.md", SnapshotZipFormat.README.getBytes(StandardCharsets.UTF_8));
            Map<String, Integer> tableNumbers = new LinkedHashMap<>();
            streamBase(plan.base(), tables, index, changesFile, zip, stats, tableNumbers);
            for (Map.Entry<String, Integer> created : newTableNumbers.entrySet()) {
                if (!tableNumbers.containsKey(created.getKey())) {
                    tableNumbers.put(created.getKey(), created.getValue());
                    TableWriter writer = new TableWriter(zip, created.getKey());
                    writer.appendChanges(index.inTable(created.getKey()), changesFile);
                    stats.put(created.getKey(), writer.finish(UNIFORM_SCHEMA));
                }
            }
            StringBuilder tablesFile = new StringBuilder();
            tableNumbers.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(t -> tablesFile
                    .append(ConvexValues.write(ConvexValues.MAPPER.createObjectNode().put("name", t.getKey()).put("id", t.getValue())))
                    .append('\n'));
            SnapshotZipFormat.writeEntry(zip, "_tables/documents.jsonl", tablesFile.toString().getBytes(StandardCharsets.UTF_8));
            zip.finish();
            zip.flush();
            long documents = stats.values().stream().mapToLong(SnapshotScanner.TableStats::documents).sum();
            return new Result(stats, documents, applied, index.size(), index.onDisk());
        } finally {
            Files.deleteIfExists(spill);
        }
    }

    /** Reads every segment once, keeping the newest version of each changed id; returns the lines applied. */
    private long readChanges(RestorePlan plan, Set<String> tables, long baseTs, long atTs, RandomAccessFile changesFile,
                             ChangedIds index, Map<String, Integer> newTableNumbers) throws IOException {
        long applied = 0;
        for (RestorePlan.PlannedSegment segment : plan.segments()) {
            MessageDigest sha = sha256();
            try (InputStream raw = target.open(segment.segment().key());
                 DigestInputStream digesting = new DigestInputStream(raw, sha);
                 BufferedReader lines = new BufferedReader(new InputStreamReader(new GZIPInputStream(digesting, 64 * 1024),
                         StandardCharsets.UTF_8))) {
                String text;
                long lineCount = 0;
                while ((text = lines.readLine()) != null) {
                    lineCount++;
                    SegmentLine line = SegmentLine.parse(text, segment.segment().key());
                    if (line.ts() <= baseTs || line.ts() > atTs || !line.component().isEmpty()
                            || (tables != null && !tables.contains(line.table()))) {
                        continue;
                    }
                    applied++;
                    newTableNumbers.computeIfAbsent(line.table(), t -> ConvexIds.decode(line.id()).tableNumber());
                    if (line.deleted()) {
                        index.put(line.id(), line.table(), -1, 0);
                    } else {
                        byte[] bytes = line.documentLine().getBytes(StandardCharsets.UTF_8);
                        long offset = changesFile.length();
                        changesFile.seek(offset);
                        changesFile.write(bytes);
                        index.put(line.id(), line.table(), offset, bytes.length);
                    }
                }
                digesting.transferTo(OutputStream.nullOutputStream());
                if (lineCount != segment.manifest().documents()) {
                    throw new IOException("Change segment " + segment.segment().key() + " has " + lineCount
                            + " lines but its manifest says " + segment.manifest().documents());
                }
            }
            String actual = HexFormat.of().formatHex(sha.digest());
            if (!actual.equals(segment.manifest().segment().sha256())) {
                throw new IOException("Change segment " + segment.segment().key() + " has SHA-256 " + actual
                        + " but its manifest says " + segment.manifest().segment().sha256() + ": the segment is damaged");
            }
        }
        return applied;
    }

    private void streamBase(BackupEntry base, Set<String> tables, ChangedIds index, RandomAccessFile changesFile,
                            ZipArchiveOutputStream zip, Map<String, SnapshotScanner.TableStats> stats,
                            Map<String, Integer> tableNumbers) throws IOException {
        MessageDigest sha = sha256();
        Map<String, byte[]> schemas = new HashMap<>();
        try (InputStream raw = target.open(base.zipKey());
             DigestInputStream digesting = new DigestInputStream(raw, sha);
             ZipArchiveInputStream in = new ZipArchiveInputStream(digesting)) {
            ZipArchiveEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                String name = entry.getName();
                if (name.equals("_tables/documents.jsonl")) {
                    readTableNumbers(in, tables, tableNumbers);
                    continue;
                }
                int slash = name.indexOf('/');
                String folder = slash < 0 ? "" : name.substring(0, slash);
                String file = slash < 0 ? name : name.substring(slash + 1);
                if (slash < 0 || !SnapshotScanner.isUserTable(folder) || file.contains("/")) {
                    continue; // README (written fresh), file storage and components are not restored
                }
                if (tables != null && !tables.contains(folder)) {
                    continue;
                }
                if (file.equals("generated_schema.jsonl")) {
                    schemas.put(folder, in.readAllBytes());
                } else if (file.equals("documents.jsonl")) {
                    TableWriter writer = new TableWriter(zip, folder);
                    copyUnchanged(in, index, writer, name);
                    writer.appendChanges(index.inTable(folder), changesFile);
                    stats.put(folder, writer.finish(null));
                }
            }
            digesting.transferTo(OutputStream.nullOutputStream());
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (base.manifest() != null && !actual.equals(base.manifest().zip().sha256())) {
            throw new IOException("Base backup " + base.id() + " has SHA-256 " + actual + " but its manifest says "
                    + base.manifest().zip().sha256() + ": run `backup verify " + base.id() + "`");
        }
        for (String table : stats.keySet()) {
            SnapshotZipFormat.writeEntry(zip, table + "/generated_schema.jsonl", schemas.getOrDefault(table, UNIFORM_SCHEMA));
        }
    }

    private static void readTableNumbers(InputStream in, Set<String> tables, Map<String, Integer> tableNumbers)
            throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String text;
        while ((text = reader.readLine()) != null) {
            if (text.isBlank()) {
                continue;
            }
            JsonNode line = ConvexValues.parse(text);
            String name = line.path("name").asText();
            if (SnapshotScanner.isUserTable(name) && (tables == null || tables.contains(name))) {
                tableNumbers.put(name, line.path("id").asInt());
            }
        }
    }

    /** Copies every base line whose document did not change after the base, byte for byte. */
    private static void copyUnchanged(InputStream in, ChangedIds index, TableWriter writer, String where)
            throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(1024);
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = in.read(buffer)) > 0) {
            int start = 0;
            for (int i = 0; i < n; i++) {
                if (buffer[i] == '\n') {
                    line.write(buffer, start, i - start);
                    handleBaseLine(line, index, writer, where);
                    line.reset();
                    start = i + 1;
                }
            }
            line.write(buffer, start, n - start);
        }
        if (line.size() > 0) {
            handleBaseLine(line, index, writer, where);
        }
    }

    private static void handleBaseLine(ByteArrayOutputStream line, ChangedIds index, TableWriter writer,
                                       String where) throws IOException {
        byte[] bytes = line.toByteArray();
        if (bytes.length == 0) {
            return;
        }
        if (!index.contains(idOf(bytes, where))) {
            writer.line(bytes);
        }
    }

    /** The top-level {@code _id} of a document line, read without building the document. */
    private static String idOf(byte[] line, String where) throws IOException {
        try (JsonParser parser = JSON.createParser(line)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException(where + " has a line that is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                parser.nextToken();
                if (field.equals("_id")) {
                    return parser.getText();
                }
                parser.skipChildren();
            }
        }
        throw new IOException(where + " has a document without _id");
    }

    /** One {@code <table>/documents.jsonl} being written, counted and digested like the backup manifest does. */
    private static final class TableWriter {
        private final ZipArchiveOutputStream zip;
        private final String table;
        private final TableDigest digest = new TableDigest();
        private final MessageDigest sha = sha256();
        private long documents;

        TableWriter(ZipArchiveOutputStream zip, String table) throws IOException {
            this.zip = zip;
            this.table = table;
            zip.putArchiveEntry(SnapshotZipFormat.entry(table + "/documents.jsonl"));
        }

        void line(byte[] bytes) throws IOException {
            zip.write(bytes);
            zip.write('\n');
            digest.add(sha.digest(bytes));
            documents++;
        }

        void appendChanges(Iterable<ChangedIds.Change> changes, RandomAccessFile changesFile) throws IOException {
            for (ChangedIds.Change change : changes) {
                if (change.deleted()) {
                    continue;
                }
                byte[] bytes = new byte[change.length()];
                changesFile.seek(change.offset());
                changesFile.readFully(bytes);
                line(bytes);
            }
        }

        /** Closes the entry and, for a table without a schema entry of its own, writes {@code schema}. */
        SnapshotScanner.TableStats finish(byte[] schema) throws IOException {
            zip.closeArchiveEntry();
            if (schema != null) {
                SnapshotZipFormat.writeEntry(zip, table + "/generated_schema.jsonl", schema);
            }
            return new SnapshotScanner.TableStats(documents, digest.hex());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static OutputStream nonClosing(OutputStream out) {
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }
}

package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexIds;
import dev.convexpipeline.convex.ConvexValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Append-only log of committed writes, one JSON line per commit, documents in export_json (so
 * int64/float64/bytes survive). Replayed at start and then compacted to one line holding the
 * current state, so the file does not grow across restarts. No fsync: a crash may lose the tail.
 */
record Journal(Path file, long lastTimestamp, FileChannel writer, FileChannel lockChannel) implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    static Journal openAndReplay(Path file, Map<String, StoredTable> tables) throws IOException {
        Files.createDirectories(file.getParent());
        FileChannel lockChannel = lockDataDirectory(file.resolveSibling("journal.lock"));
        try {
            return replay(file, tables, lockChannel);
        } catch (IOException | RuntimeException e) {
            lockChannel.close();
            throw e;
        }
    }

    /** Two emulators appending to one journal would corrupt it, so the directory is locked while open. */
    private static FileChannel lockDataDirectory(Path lockFile) throws IOException {
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            throw new IllegalStateException("Data directory " + lockFile.getParent()
                    + " is in use by another running emulator; stop it or choose another --data-dir");
        }
        return channel;
    }

    private static Journal replay(Path file, Map<String, StoredTable> tables, FileChannel lockChannel) throws IOException {
        long lastTimestamp = 0;
        if (Files.exists(file)) {
            try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                int lineNumber = 0;
                while ((line = reader.readLine()) != null) {
                    lineNumber++;
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode commit;
                    try {
                        commit = ConvexValues.MAPPER.readTree(line);
                    } catch (IOException e) {
                        // A torn last line from a crash: everything before it is intact.
                        LOG.warn("Ignoring unreadable journal line {} in {}: {}", lineNumber, file, e.getMessage());
                        break;
                    }
                    lastTimestamp = Math.max(lastTimestamp, commit.path("ts").asLong());
                    for (JsonNode op : commit.path("ops")) {
                        try {
                            apply(op, commit.path("ts").asLong(), tables);
                        } catch (RuntimeException e) {
                            // Only an emulator from before documents were checked could have written this.
                            throw new IllegalStateException("Journal " + file + " line " + lineNumber + " holds a "
                                    + op.path("op").asText() + " on table '" + op.path("table").asText()
                                    + "' that cannot be replayed (" + e.getMessage() + "); it was written by an older"
                                    + " emulator. Export what you need from a copy of the directory with that line"
                                    + " removed, or start with a fresh --data-dir.", e);
                        }
                    }
                }
            }
        }
        compact(file, lastTimestamp, tables);
        FileChannel writer = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        writer.position(writer.size());
        return new Journal(file, lastTimestamp, writer, lockChannel);
    }

    /**
     * Appends one commit as a whole line or not at all: the line is encoded before anything is
     * written (a value that cannot be encoded fails this commit only), and a failed write is cut
     * back off, so a later commit never lands behind a torn line that replay would stop at.
     */
    synchronized void append(long timestamp, List<JournalOp> ops) {
        ObjectNode commit = NODES.objectNode();
        commit.put("ts", timestamp);
        ArrayNode encoded = commit.putArray("ops");
        ops.forEach(op -> encoded.add(encode(op)));
        ByteBuffer line;
        try {
            line = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(ConvexValues.write(commit) + "\n"));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("The commit holds text that is not valid Unicode and was not stored: "
                    + e.getMessage(), e);
        }
        long end;
        try {
            end = writer.size();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not append to the emulator journal " + file + ": " + e.getMessage(), e);
        }
        try {
            writer.position(end);
            while (line.hasRemaining()) {
                writer.write(line);
            }
        } catch (IOException e) {
            try {
                writer.truncate(end);
            } catch (IOException truncateFailure) {
                e.addSuppressed(truncateFailure);
            }
            throw new UncheckedIOException("Could not append to the emulator journal " + file
                    + ": " + e.getMessage() + " — check free disk space; the write was not stored", e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            writer.close();
            lockChannel.close();
        } catch (IOException e) {
            LOG.warn("Could not close journal {}: {}", file, e.getMessage());
        }
    }

    private static void compact(Path file, long timestamp, Map<String, StoredTable> tables) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".compacting");
        List<JournalOp> ops = new ArrayList<>();
        for (StoredTable table : tables.values()) {
            ops.add(new JournalOp.CreateTable(table.name(), table.number()));
            table.documents().forEach((internalIdHex, doc) -> ops.add(new JournalOp.Put(table.name(), internalIdHex, doc)));
        }
        try (BufferedWriter out = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
            if (!ops.isEmpty()) {
                ObjectNode commit = NODES.objectNode();
                commit.put("ts", timestamp);
                ArrayNode encoded = commit.putArray("ops");
                for (JournalOp op : ops) {
                    ObjectNode node = encode(op);
                    if (op instanceof JournalOp.Put put) {
                        node.put("ts", tables.get(put.table()).writeTimestamp(put.internalIdHex()));
                    }
                    encoded.add(node);
                }
                out.write(ConvexValues.write(commit));
                out.write('\n');
            }
        }
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static ObjectNode encode(JournalOp op) {
        ObjectNode node = NODES.objectNode();
        if (op instanceof JournalOp.CreateTable create) {
            node.put("op", "createTable").put("table", create.table()).put("number", create.number());
        } else if (op instanceof JournalOp.DropTable drop) {
            node.put("op", "dropTable").put("table", drop.table());
        } else if (op instanceof JournalOp.Put put) {
            node.put("op", "put").put("table", put.table());
            node.set("doc", ConvexValues.toExportJson(put.document()));
        } else if (op instanceof JournalOp.Delete delete) {
            node.put("op", "delete").put("table", delete.table()).put("id", delete.internalIdHex());
        }
        return node;
    }

    private static void apply(JsonNode op, long commitTimestamp, Map<String, StoredTable> tables) {
        String table = op.path("table").asText();
        switch (op.path("op").asText()) {
            case "createTable" -> tables.put(table, StoredTable.empty(table, op.path("number").asInt()));
            case "dropTable" -> tables.remove(table);
            case "put" -> {
                ObjectNode document = (ObjectNode) ConvexValues.fromExportJson(op.get("doc"));
                String internalIdHex = HexFormat.of().formatHex(
                        ConvexIds.decode(document.get(Transaction.ID_FIELD).asText()).internalId());
                tables.get(table).put(internalIdHex, document);
                tables.get(table).markWritten(internalIdHex, op.has("ts") ? op.get("ts").asLong() : commitTimestamp);
            }
            case "delete" -> tables.get(table).remove(op.path("id").asText());
            default -> throw new IllegalStateException("Unknown journal op " + op);
        }
    }
}

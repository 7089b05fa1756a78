package dev.convexpipeline.backup;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads a Convex snapshot ZIP (docs/convex-wire.md §2.4) once, as it streams past: every byte is hashed
 * (SHA-256) and copied to a sink, and the same bytes are parsed as a ZIP on the fly to count the
 * documents of every table and compute its {@link TableDigest}. The JDK's {@link ZipInputStream}
 * does the ZIP parsing (and checks each entry's CRC-32); the tee and the line splitting are written
 * here because no library hashes, copies and splits in one pass without buffering.
 *
 * <p>Memory: up to two queues of {@value #QUEUED_CHUNKS} chunks of 64 KiB, one inflate buffer, and,
 * only when validating JSON, the longest single line.
 */
public final class SnapshotScanner {
    static final String DOCUMENTS = "documents.jsonl";
    static final int CHUNK = 64 * 1024;
    static final int QUEUED_CHUNKS = 32;
    private static final int EOCD_SIGNATURE = 0x06054b50;
    private static final int ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
    /** Guards the heap while validating: Convex documents are at most 1 MiB, so a line this long is not one. */
    private static final int MAX_VALIDATED_LINE = 64 * 1024 * 1024;
    private static final JsonFactory JSON = new JsonFactory();

    /** Counts and digest of one {@code documents.jsonl}. */
    public record TableStats(long documents, String digest) {
    }

    /**
     * What one pass saw.
     *
     * @param bytes        ZIP size
     * @param sha256       hex SHA-256 of the ZIP bytes
     * @param tables       per {@code documents.jsonl} entry, keyed by its folder (e.g. {@code messages},
     *                     {@code _tables}, {@code _components/wf/steps}), sorted
     * @param entries      ZIP entries
     * @param storageFiles file-storage blobs ({@code _storage/<id>} entries)
     * @param problems     structural problems, in the order met (empty when scanning a good ZIP)
     */
    public record Result(long bytes, String sha256, Map<String, TableStats> tables, int entries,
                         long storageFiles, List<String> problems) {
        public long userDocuments() {
            return tables.entrySet().stream().filter(e -> isUserTable(e.getKey()))
                    .mapToLong(e -> e.getValue().documents()).sum();
        }
    }

    private SnapshotScanner() {
    }

    /** A user table, as opposed to the snapshot's {@code _tables} and {@code _storage} listings. */
    public static boolean isUserTable(String table) {
        int slash = table.lastIndexOf('/');
        return !table.substring(slash + 1).startsWith("_");
    }

    /**
     * Streams {@code source} to its end into {@code sink} (may be null) while scanning it.
     *
     * <p>Three threads share the work so none waits for another longer than it must: a read-ahead
     * thread pulls the source, the calling thread hashes and writes to the sink (the wire path),
     * and a parser thread inflates and splits the same chunks. They hand chunks over through small
     * bounded queues (at most {@value #QUEUED_CHUNKS} chunks of 64 KiB each), so memory does not
     * depend on the snapshot size.
     *
     * @param strict also parse every JSONL line as JSON and report the first bad line, structural
     *               ZIP problems are reported instead of thrown, and reading continues to the end so the
     *               size and SHA-256 are still known (used by verify); when false a structural problem
     *               is thrown as {@link SnapshotFormatException} (used by backup: a bad ZIP is not stored)
     * @throws IOException when reading the source or writing the sink fails
     */
    public static Result scan(InputStream origin, OutputStream sink, boolean strict) throws IOException {
        return scan(origin, sink, strict, (java.time.Duration) null);
    }

    /** As {@link #scan(InputStream, OutputStream, boolean)}, failing when the source sends nothing for {@code stallTimeout}. */
    public static Result scan(InputStream origin, OutputStream sink, boolean strict, java.time.Duration stallTimeout)
            throws IOException {
        return scan(origin, sink, strict, stallTimeout, () -> null);
    }

    /**
     * As {@link #scan(InputStream, OutputStream, boolean, java.time.Duration)}, failing with the reason
     * {@code stopReason} gives as soon as it gives one (e.g. the pipeline is shutting down).
     */
    public static Result scan(InputStream origin, OutputStream sink, boolean strict, java.time.Duration stallTimeout,
                              java.util.function.Supplier<String> stopReason) throws IOException {
        ChunkPipe download = readAhead(origin, new ChunkPipe(stallTimeout, stopReason));
        try {
            return scanThrough(download, sink, strict, new ChunkPipe());
        } finally {
            download.finishReading();
        }
    }

    /**
     * Reads {@code source} on its own thread into a bounded queue, so the download keeps flowing
     * while the calling thread waits for a free upload buffer or for the parser.
     */
    private static ChunkPipe readAhead(InputStream source, ChunkPipe pipe) {
        Thread reader = new Thread(() -> {
            boolean complete = false;
            try {
                while (!pipe.consumerGone()) {
                    byte[] chunk = pipe.emptyChunk();
                    int n = source.readNBytes(chunk, 0, CHUNK);
                    if (n == 0) {
                        pipe.recycle(chunk);
                        break;
                    }
                    pipe.send(chunk, n);
                    if (n < CHUNK) {
                        break;
                    }
                }
                complete = true;
            } catch (IOException | RuntimeException e) {
                pipe.fail(e);
            } finally {
                try {
                    pipe.close(!complete);
                } catch (IOException ignored) {
                    // only interrupted while handing over the end marker; the consumer is gone
                }
            }
        }, "snapshot-download");
        reader.setDaemon(true);
        reader.start();
        return pipe;
    }

    private static Result scanThrough(InputStream source, OutputStream sink, boolean strict, ChunkPipe pipe) throws IOException {
        java.util.concurrent.FutureTask<Parsed> parser = new java.util.concurrent.FutureTask<>(() -> parse(pipe, strict));
        Thread parserThread = new Thread(parser, "snapshot-zip-parser");
        parserThread.setDaemon(true);
        parserThread.start();
        MessageDigest sha256 = sha256();
        long bytes = 0;
        byte[] previous = new byte[CHUNK];
        byte[] current = new byte[CHUNK];
        int previousLength = 0;
        int currentLength = 0;
        boolean complete = false;
        try {
            while (true) {
                byte[] chunk = pipe.emptyChunk();
                int n = source.readNBytes(chunk, 0, CHUNK);
                if (n == 0) {
                    pipe.recycle(chunk);
                    break;
                }
                sha256.update(chunk, 0, n);
                if (sink != null) {
                    sink.write(chunk, 0, n);
                }
                bytes += n;
                // Keep the last two chunks for the end-of-central-directory check.
                byte[] swap = previous;
                previous = current;
                previousLength = currentLength;
                current = swap;
                System.arraycopy(chunk, 0, current, 0, n);
                currentLength = n;
                if (!strict && parser.isDone()) {
                    failFast(parser);
                }
                pipe.send(chunk, n);
                if (n < CHUNK) {
                    break;
                }
            }
            complete = true;
        } finally {
            pipe.close(!complete);
        }
        Parsed parsed;
        try {
            parsed = parser.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while parsing the snapshot ZIP", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
        List<String> problems = new ArrayList<>(parsed.problems);
        if (problems.isEmpty()) {
            byte[] tail = new byte[previousLength + currentLength];
            System.arraycopy(previous, 0, tail, 0, previousLength);
            System.arraycopy(current, 0, tail, previousLength, currentLength);
            try {
                checkEndOfCentralDirectory(tail, bytes, parsed.entries);
            } catch (SnapshotFormatException e) {
                if (!strict) {
                    throw e;
                }
                problems.add(e.getMessage());
            }
        }
        return new Result(bytes, HexFormat.of().formatHex(sha256.digest()), parsed.tables, parsed.entries,
                parsed.storageFiles, List.copyOf(problems));
    }

    /** The parser already stopped: in a backup that means the ZIP is broken, so stop copying it. */
    private static void failFast(java.util.concurrent.FutureTask<Parsed> parser) throws IOException {
        try {
            parser.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while parsing the snapshot ZIP", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    /** What the parser thread found. */
    private record Parsed(Map<String, TableStats> tables, int entries, long storageFiles, List<String> problems) {
    }

    private static Parsed parse(ChunkPipe pipe, boolean strict) throws IOException {
        Map<String, TableStats> tables = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int entries = 0;
        long storageFiles = 0;
        ZipInputStream zip = new LargeBufferZipInputStream(pipe);
        byte[] inflated = new byte[CHUNK];
        String entryName = null;
        try {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                entryName = entry.getName();
                entries++;
                if (!names.add(entryName)) {
                    throw new SnapshotFormatException("ZIP entry " + entryName + " appears twice");
                }
                if (entry.isDirectory()) {
                    continue;
                }
                if (entryName.endsWith("/" + DOCUMENTS) || entryName.equals(DOCUMENTS)) {
                    String table = entryName.equals(DOCUMENTS) ? "" : entryName.substring(0, entryName.length() - DOCUMENTS.length() - 1);
                    LineReader lines = new LineReader(entryName, strict, true);
                    pump(zip, inflated, lines);
                    tables.put(table, new TableStats(lines.lines, lines.digest.hex()));
                } else if (entryName.endsWith(".jsonl") && strict) {
                    pump(zip, inflated, new LineReader(entryName, true, false));
                } else {
                    if (isStorageBlob(entryName)) {
                        storageFiles++;
                    }
                    // Still inflated to the end: that is what checks the entry's CRC-32.
                    while (zip.read(inflated) >= 0) {
                        // content not needed
                    }
                }
                entryName = null;
            }
        } catch (SnapshotFormatException e) {
            if (!strict) {
                throw e;
            }
            problems.add(e.getMessage());
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            if (pipe.producerFailed()) {
                throw new IOException("reading stopped");
            }
            String where = entryName == null ? "" : " in entry " + entryName;
            SnapshotFormatException problem = new SnapshotFormatException("ZIP structure is broken" + where + ": " + e.getMessage());
            if (!strict) {
                throw problem;
            }
            problems.add(problem.getMessage());
        } finally {
            pipe.finishReading();
        }
        return new Parsed(tables, entries, storageFiles, problems);
    }

    /**
     * {@link ZipInputStream} hands its inflater 512 bytes of input per call; with 64 KiB inflating a
     * 1 GB export takes about 9% less CPU (4.9-5.0 s instead of 5.4 here). {@code buf} is
     * {@link java.util.zip.InflaterInputStream}'s protected input buffer; at an entry's end the
     * ZIP reader pushes its unused bytes back into {@code in}, so the pushback must be as large.
     */
    private static final class LargeBufferZipInputStream extends ZipInputStream {
        LargeBufferZipInputStream(InputStream source) {
            super(source);
            this.in = new java.io.PushbackInputStream(source, CHUNK);
            this.buf = new byte[CHUNK];
        }
    }

    private static boolean isStorageBlob(String name) {
        int at = name.indexOf("_storage/");
        return at >= 0 && (at == 0 || name.charAt(at - 1) == '/') && !name.endsWith("/" + DOCUMENTS);
    }

    private static void pump(ZipInputStream zip, byte[] buffer, LineReader lines) throws IOException {
        int n;
        while ((n = zip.read(buffer)) >= 0) {
            lines.accept(buffer, 0, n);
        }
        lines.finish();
    }

    /** The last bytes of a ZIP are its end-of-central-directory record: check it agrees with the entries read. */
    private static void checkEndOfCentralDirectory(byte[] tail, long totalBytes, int entries) throws SnapshotFormatException {
        for (int at = tail.length - 22; at >= 0; at--) {
            if (readInt(tail, at) != EOCD_SIGNATURE) {
                continue;
            }
            int commentLength = readShort(tail, at + 20);
            if (at + 22 + commentLength != tail.length) {
                continue;
            }
            boolean zip64 = at >= 20 && readInt(tail, at - 20) == ZIP64_LOCATOR_SIGNATURE;
            int total = readShort(tail, at + 10);
            if (!zip64 && total != 0xFFFF && total != entries) {
                throw new SnapshotFormatException("ZIP central directory lists " + total + " entries but "
                        + entries + " were read");
            }
            long size = readInt(tail, at + 12) & 0xffffffffL;
            long offset = readInt(tail, at + 16) & 0xffffffffL;
            long eocdPosition = totalBytes - tail.length + at;
            if (!zip64 && offset != 0xffffffffL && offset + size != eocdPosition) {
                throw new SnapshotFormatException("ZIP central directory (offset " + offset + ", " + size
                        + " bytes) does not end where the end record starts (" + eocdPosition + ")");
            }
            return;
        }
        throw new SnapshotFormatException("ZIP has no end-of-central-directory record: the file is truncated");
    }

    private static int readShort(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("This JVM has no SHA-256", e);
        }
    }

    private static final java.lang.invoke.VarHandle LONGS = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
            long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;
    private static final long LOW_BITS = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;

    /**
     * Index of the first {@code \n} in {@code buffer[from, end)}, or {@code end}. Tests eight bytes
     * per step (a zero byte of {@code word ^ 0x0A…} marks a newline; the lowest flagged byte is always
     * exact), about eight times faster than a byte loop over the ~1.3× larger inflated text.
     */
    static int nextNewline(byte[] buffer, int from, int end) {
        int i = from;
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            long word = (long) LONGS.get(buffer, i) ^ NEWLINES;
            long zeros = (word - LOW_BITS) & ~word & HIGH_BITS;
            if (zeros != 0) {
                return i + (Long.numberOfTrailingZeros(zeros) >>> 3);
            }
        }
        for (; i < end; i++) {
            if (buffer[i] == '\n') {
                return i;
            }
        }
        return end;
    }

    /** Splits inflated bytes into lines: hashes each (for documents), and validates it as JSON when strict. */
    private static final class LineReader {
        private final String entry;
        private final boolean validate;
        private final boolean documents;
        private final MessageDigest lineHash = sha256();
        private final TableDigest digest = new TableDigest();
        private byte[] line = new byte[4096];
        private int lineLength;
        private long lineBytes;
        private long lines;

        LineReader(String entry, boolean validate, boolean documents) {
            this.entry = entry;
            this.validate = validate;
            this.documents = documents;
        }

        void accept(byte[] buffer, int offset, int length) throws SnapshotFormatException {
            int end = offset + length;
            int start = offset;
            int i;
            while ((i = nextNewline(buffer, start, end)) < end) {
                append(buffer, start, i - start);
                endLine();
                start = i + 1;
            }
            append(buffer, start, end - start);
        }

        private void append(byte[] buffer, int offset, int length) throws SnapshotFormatException {
            if (length == 0) {
                return;
            }
            lineBytes += length;
            if (documents) {
                lineHash.update(buffer, offset, length);
            }
            if (validate) {
                if (lineLength + length > MAX_VALIDATED_LINE) {
                    throw new SnapshotFormatException(entry + " line " + (lines + 1) + " is longer than "
                            + MAX_VALIDATED_LINE + " bytes: not a Convex document");
                }
                if (lineLength + length > line.length) {
                    line = java.util.Arrays.copyOf(line, Math.max(line.length * 2, lineLength + length));
                }
                System.arraycopy(buffer, offset, line, lineLength, length);
                lineLength += length;
            }
        }

        private void endLine() throws SnapshotFormatException {
            if (lineBytes == 0) {
                if (validate) {
                    throw new SnapshotFormatException(entry + " line " + (lines + 1) + " is empty");
                }
                return;
            }
            lines++;
            if (documents) {
                digest.add(lineHash.digest());
            }
            if (validate) {
                checkJson();
            }
            lineLength = 0;
            lineBytes = 0;
        }

        void finish() throws SnapshotFormatException {
            if (lineBytes > 0) {
                if (validate) {
                    throw new SnapshotFormatException(entry + " line " + (lines + 1) + " has no final newline (truncated?)");
                }
                endLine();
            }
        }

        private void checkJson() throws SnapshotFormatException {
            try (JsonParser parser = JSON.createParser(line, 0, lineLength)) {
                JsonToken first = parser.nextToken();
                if (documents && first != JsonToken.START_OBJECT) {
                    throw new SnapshotFormatException(entry + " line " + lines + " is not a JSON object");
                }
                parser.skipChildren();
                if (parser.nextToken() != null) {
                    throw new SnapshotFormatException(entry + " line " + lines + " has data after its JSON value");
                }
            } catch (SnapshotFormatException e) {
                throw e;
            } catch (IOException e) {
                String reason = e instanceof com.fasterxml.jackson.core.JsonProcessingException json
                        ? json.getOriginalMessage() : e.getMessage();
                throw new SnapshotFormatException(entry + " line " + lines + " is not valid JSON: " + reason);
            }
        }
    }
}

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
 * Reads a Convex snapshot ZIP (convex-api.md §2.4) once, as it streams past: every byte is hashed
 * (SHA-256) and copied to a sink, and the same bytes are parsed as a ZIP on the fly to count the
 * documents of every table and compute its {@link TableDigest}. The JDK's {@link ZipInputStream}
 * does the ZIP parsing (and checks each entry's CRC-32); the tee and the line splitting are written
 * here because no library hashes, copies and splits in one pass without buffering.
 *
 * <p>Memory: two 64 KiB read buffers, one inflate buffer, and, only when validating JSON, the
 * longest single line.
 */
public final class SnapshotScanner {
    static final String DOCUMENTS = "documents.jsonl";
    private static final int CHUNK = 64 * 1024;
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
     * @param strict also parse every JSONL line as JSON and report the first bad line, structural
     *               ZIP problems are reported instead of thrown, and reading continues to the end so the
     *               size and SHA-256 are still known (used by verify); when false a structural problem
     *               is thrown as {@link SnapshotFormatException} (used by backup: a bad ZIP is not stored)
     * @throws IOException when reading the source or writing the sink fails
     */
    public static Result scan(InputStream source, OutputStream sink, boolean strict) throws IOException {
        TeeInputStream tee = new TeeInputStream(source, sink);
        Map<String, TableStats> tables = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int entries = 0;
        long storageFiles = 0;
        ZipInputStream zip = new ZipInputStream(tee);
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
            checkEndOfCentralDirectory(tee, entries);
        } catch (SnapshotFormatException e) {
            if (!strict) {
                throw e;
            }
            problems.add(e.getMessage());
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            String where = entryName == null ? "" : " in entry " + entryName;
            SnapshotFormatException problem = new SnapshotFormatException("ZIP structure is broken" + where + ": " + e.getMessage());
            if (!strict) {
                throw problem;
            }
            problems.add(problem.getMessage());
        }
        tee.drain();
        return new Result(tee.bytes, HexFormat.of().formatHex(tee.sha256.digest()), tables, entries, storageFiles,
                List.copyOf(problems));
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
    private static void checkEndOfCentralDirectory(TeeInputStream tee, int entries) throws IOException {
        tee.drain();
        byte[] tail = tee.tail();
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
            long eocdPosition = tee.bytes - tail.length + at;
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
            for (int i = offset; i < end; i++) {
                if (buffer[i] == '\n') {
                    append(buffer, start, i - start);
                    endLine();
                    start = i + 1;
                }
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

    /**
     * Reads ahead 64 KiB at a time; each chunk is hashed and written to the sink once, before the
     * ZIP parser sees it. The two most recent chunks stay readable for the end-of-ZIP check.
     */
    private static final class TeeInputStream extends InputStream {
        private final InputStream source;
        private final OutputStream sink;
        private final MessageDigest sha256 = sha256();
        private byte[] current = new byte[CHUNK];
        private byte[] previous = new byte[CHUNK];
        private int currentLength;
        private int previousLength;
        private int position;
        private long bytes;
        private boolean eof;

        TeeInputStream(InputStream source, OutputStream sink) {
            this.source = source;
            this.sink = sink;
        }

        private boolean fill() throws IOException {
            if (eof) {
                return false;
            }
            byte[] swap = previous;
            previous = current;
            previousLength = currentLength;
            current = swap;
            int n = source.readNBytes(current, 0, CHUNK);
            if (n < CHUNK) {
                eof = true;
            }
            currentLength = n;
            position = 0;
            if (n > 0) {
                sha256.update(current, 0, n);
                if (sink != null) {
                    sink.write(current, 0, n);
                }
                bytes += n;
            }
            return n > 0;
        }

        @Override
        public int read() throws IOException {
            if (position >= currentLength && !fill()) {
                return -1;
            }
            return current[position++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (position >= currentLength && !fill()) {
                return -1;
            }
            int n = Math.min(len, currentLength - position);
            System.arraycopy(current, position, b, off, n);
            position += n;
            return n;
        }

        @Override
        public int available() {
            return currentLength - position;
        }

        /** Reads (and so hashes and copies) whatever the ZIP parser left unread. */
        void drain() throws IOException {
            position = currentLength;
            while (fill()) {
                position = currentLength;
            }
        }

        /** The last up to 128 KiB of the stream. */
        byte[] tail() {
            byte[] tail = new byte[previousLength + currentLength];
            System.arraycopy(previous, 0, tail, 0, previousLength);
            System.arraycopy(current, 0, tail, previousLength, currentLength);
            return tail;
        }

        @Override
        public void close() {
            // The caller owns the source.
        }
    }
}

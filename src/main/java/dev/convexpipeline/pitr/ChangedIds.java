package dev.convexpipeline.pitr;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The index of documents changed since the base: id → table and where its newest version is in the
 * spill file (or deleted). Held in a hash map up to {@code memoryLimit} entries; past that it goes to
 * disk: every put is also logged to a file, which is sorted in runs of {@code memoryLimit} records,
 * merged (the newest put of each id wins) into one file sorted by id, and looked up by binary search
 * behind a Bloom filter (one byte per id), so memory no longer grows with the number of changed ids.
 */
final class ChangedIds implements AutoCloseable {
    /** Convex ids are at most 37 characters (VInt table number + 16 bytes + 2, base32). */
    private static final int ID_BYTES = 40;
    private static final int RECORD = ID_BYTES + 4 + 8 + 4 + 8;
    private static final int HASHES = 4;

    /** @param offset position of the document line in the spill file, -1 when deleted */
    record Change(String id, String table, long offset, int length) {
        boolean deleted() {
            return offset < 0;
        }
    }

    private final Path directory;
    private final int memoryLimit;
    private final List<String> tables = new ArrayList<>();
    private final Map<String, Integer> tableIndex = new HashMap<>();
    private Map<String, Change> memory = new HashMap<>();
    private final Path log;
    private final DataOutputStream logOut;
    private long sequence;
    private Path sorted;
    private RandomAccessFile sortedFile;
    private long sortedCount;
    private BitSet bloom;
    private int bloomBits;

    ChangedIds(Path directory, int memoryLimit) throws IOException {
        this.directory = directory;
        this.memoryLimit = memoryLimit;
        this.log = Files.createTempFile(directory, "restore-ids-", ".bin");
        this.logOut = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(log), 64 * 1024));
    }

    void put(String id, String table, long offset, int length) throws IOException {
        int t = tableIndex.computeIfAbsent(table, name -> {
            tables.add(name);
            return tables.size() - 1;
        });
        writeRecord(logOut, id, t, offset, length, sequence++);
        if (memory != null) {
            memory.put(id, new Change(id, table, offset, length));
            if (memory.size() > memoryLimit) {
                memory = null; // from here on the log is the index
            }
        }
    }

    /** Ends the puts; past the memory limit, sorts the log into the on-disk index. */
    void seal() throws IOException {
        logOut.close();
        if (memory != null) {
            return;
        }
        List<Path> runs = sortRuns();
        sorted = Files.createTempFile(directory, "restore-ids-sorted-", ".bin");
        sortedCount = merge(runs, sorted);
        for (Path run : runs) {
            Files.deleteIfExists(run);
        }
        bloomBits = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(64, sortedCount * 8));
        bloom = new BitSet(bloomBits);
        try (DataInputStream in = open(sorted)) {
            for (long i = 0; i < sortedCount; i++) {
                Record r = readRecord(in);
                for (int h = 0; h < HASHES; h++) {
                    bloom.set(bloomIndex(r.id, h));
                }
            }
        }
        sortedFile = new RandomAccessFile(sorted.toFile(), "r");
    }

    boolean onDisk() {
        return memory == null;
    }

    long size() {
        return memory != null ? memory.size() : sortedCount;
    }

    boolean contains(String id) throws IOException {
        if (memory != null) {
            return memory.containsKey(id);
        }
        for (int h = 0; h < HASHES; h++) {
            if (!bloom.get(bloomIndex(id, h))) {
                return false;
            }
        }
        byte[] key = idBytes(id);
        byte[] candidate = new byte[ID_BYTES];
        long low = 0;
        long high = sortedCount - 1;
        while (low <= high) {
            long mid = (low + high) >>> 1;
            sortedFile.seek(mid * RECORD);
            sortedFile.readFully(candidate);
            int cmp = Arrays.compare(candidate, key);
            if (cmp == 0) {
                return true;
            }
            if (cmp < 0) {
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return false;
    }

    /** Every changed document of {@code table}, newest version. */
    Iterable<Change> inTable(String table) throws IOException {
        List<Change> result = new ArrayList<>();
        if (memory != null) {
            memory.values().stream().filter(c -> c.table().equals(table)).forEach(result::add);
            return result;
        }
        Integer t = tableIndex.get(table);
        if (t == null) {
            return result;
        }
        // A sequential pass per table; the index of one table is not kept in memory either.
        return new DiskTable(t, table);
    }

    /** The changes of one table, read lazily from the sorted file on each pass. */
    private final class DiskTable implements Iterable<Change> {
        private final int table;
        private final String name;

        DiskTable(int table, String name) {
            this.table = table;
            this.name = name;
        }

        @Override
        public java.util.Iterator<Change> iterator() {
            DataInputStream in;
            try {
                in = open(sorted);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return new java.util.Iterator<>() {
                private long read;
                private Change next = advance();

                private Change advance() {
                    try {
                        while (read < sortedCount) {
                            read++;
                            Record r = readRecord(in);
                            if (r.table == table) {
                                return new Change(r.id, name, r.offset, r.length);
                            }
                        }
                        in.close();
                        return null;
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }

                @Override
                public boolean hasNext() {
                    return next != null;
                }

                @Override
                public Change next() {
                    Change current = next;
                    next = advance();
                    return current;
                }
            };
        }
    }

    private List<Path> sortRuns() throws IOException {
        List<Path> runs = new ArrayList<>();
        try (DataInputStream in = open(log)) {
            List<Record> chunk = new ArrayList<>(Math.min(memoryLimit, 1 << 20));
            for (long i = 0; i < sequence; i++) {
                chunk.add(readRecord(in));
                if (chunk.size() >= memoryLimit) {
                    runs.add(writeRun(chunk));
                    chunk.clear();
                }
            }
            if (!chunk.isEmpty()) {
                runs.add(writeRun(chunk));
            }
        }
        return runs;
    }

    private Path writeRun(List<Record> chunk) throws IOException {
        chunk.sort(ORDER);
        Path run = Files.createTempFile(directory, "restore-ids-run-", ".bin");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(run), 64 * 1024))) {
            for (Record r : chunk) {
                writeRecord(out, r.id, r.table, r.offset, r.length, r.sequence);
            }
        }
        return run;
    }

    /** K-way merge of the runs; of several records of one id only the newest (highest sequence) is kept. */
    private long merge(List<Path> runs, Path target) throws IOException {
        record Head(Record record, DataInputStream in) {
        }
        PriorityQueue<Head> heads = new PriorityQueue<>(Comparator.comparing(Head::record, ORDER));
        List<DataInputStream> inputs = new ArrayList<>();
        for (Path run : runs) {
            DataInputStream in = open(run);
            inputs.add(in);
            Record first = readOrNull(in);
            if (first != null) {
                heads.add(new Head(first, in));
            }
        }
        long written = 0;
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(target), 64 * 1024))) {
            Record pending = null;
            while (!heads.isEmpty()) {
                Head head = heads.poll();
                if (pending != null && !pending.id.equals(head.record.id)) {
                    writeRecord(out, pending.id, pending.table, pending.offset, pending.length, pending.sequence);
                    written++;
                }
                pending = head.record; // same id: sorted by sequence, so the later one replaces it
                Record next = readOrNull(head.in);
                if (next != null) {
                    heads.add(new Head(next, head.in));
                }
            }
            if (pending != null) {
                writeRecord(out, pending.id, pending.table, pending.offset, pending.length, pending.sequence);
                written++;
            }
        } finally {
            for (DataInputStream in : inputs) {
                in.close();
            }
        }
        return written;
    }

    private record Record(String id, int table, long offset, int length, long sequence) {
    }

    private static final Comparator<Record> ORDER = Comparator.<Record, byte[]>comparing(r -> idBytes(r.id), Arrays::compare)
            .thenComparingLong(Record::sequence);

    private static void writeRecord(DataOutputStream out, String id, int table, long offset, int length, long sequence)
            throws IOException {
        out.write(idBytes(id));
        out.writeInt(table);
        out.writeLong(offset);
        out.writeInt(length);
        out.writeLong(sequence);
    }

    private static Record readRecord(DataInputStream in) throws IOException {
        byte[] id = new byte[ID_BYTES];
        in.readFully(id);
        int end = ID_BYTES;
        while (end > 0 && id[end - 1] == 0) {
            end--;
        }
        return new Record(new String(id, 0, end, StandardCharsets.US_ASCII), in.readInt(), in.readLong(), in.readInt(),
                in.readLong());
    }

    private static Record readOrNull(DataInputStream in) throws IOException {
        try {
            return readRecord(in);
        } catch (EOFException end) {
            return null;
        }
    }

    private static byte[] idBytes(String id) {
        byte[] text = id.getBytes(StandardCharsets.US_ASCII);
        if (text.length > ID_BYTES) {
            throw new IllegalArgumentException("Document id " + id + " is longer than any Convex id");
        }
        return Arrays.copyOf(text, ID_BYTES);
    }

    private int bloomIndex(String id, int hash) {
        int h1 = id.hashCode();
        int h2 = Integer.reverse(h1) * 0x9E3779B9 + id.length();
        return Math.floorMod(h1 + hash * h2, bloomBits);
    }

    private static DataInputStream open(Path file) throws IOException {
        return new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 64 * 1024));
    }

    @Override
    public void close() throws IOException {
        logOut.close();
        if (sortedFile != null) {
            sortedFile.close();
        }
        Files.deleteIfExists(log);
        if (sorted != null) {
            Files.deleteIfExists(sorted);
        }
    }
}

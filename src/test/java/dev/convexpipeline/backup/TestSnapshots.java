package dev.convexpipeline.backup;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Snapshot ZIPs in Convex's export layout (docs/convex-wire.md §2.4) and a source that serves them. */
final class TestSnapshots {
    private TestSnapshots() {
    }

    /** A ZIP with README, _tables and each table's documents.jsonl + generated_schema.jsonl. */
    static byte[] zip(Map<String, List<String>> tables) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            put(zip, "README.md", "# Welcome to your Convex snapshot export!\n");
            StringBuilder tableList = new StringBuilder();
            int number = 10001;
            for (String table : tables.keySet()) {
                tableList.append("{\"name\":\"").append(table).append("\",\"id\":").append(number++).append("}\n");
            }
            put(zip, "_tables/documents.jsonl", tableList.toString());
            for (Map.Entry<String, List<String>> table : tables.entrySet()) {
                StringBuilder lines = new StringBuilder();
                table.getValue().forEach(line -> lines.append(line).append('\n'));
                put(zip, table.getKey() + "/documents.jsonl", lines.toString());
                put(zip, table.getKey() + "/generated_schema.jsonl", "\"uniform\"\n");
            }
        }
        return bytes.toByteArray();
    }

    static Map<String, List<String>> threeTables() {
        Map<String, List<String>> tables = new LinkedHashMap<>();
        tables.put("messages", List.of(
                "{\"_creationTime\":1700000000000.5,\"_id\":\"m1\",\"body\":\"hi\",\"count\":3}",
                "{\"_creationTime\":1700000000001.5,\"_id\":\"m2\",\"body\":\"hello\",\"count\":4}",
                "{\"_creationTime\":1700000000002.5,\"_id\":\"m3\",\"body\":\"hey\",\"ratio\":3.0}"));
        tables.put("users", List.of(
                "{\"_creationTime\":1700000000000.1,\"_id\":\"u1\",\"name\":\"Ada\"}",
                "{\"_creationTime\":1700000000000.2,\"_id\":\"u2\",\"name\":\"Linus\"}"));
        tables.put("empty", List.of());
        return tables;
    }

    private static void put(ZipOutputStream zip, String name, String content) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(content.getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** The table digest computed independently of {@link TableDigest}: BigInteger sum mod 2^256. */
    static String expectedDigest(List<String> lines) throws Exception {
        BigInteger sum = BigInteger.ZERO;
        for (String line : lines) {
            sum = sum.add(new BigInteger(1, MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8))));
        }
        String hex = sum.mod(BigInteger.TWO.pow(256)).toString(16);
        return "0".repeat(64 - hex.length()) + hex;
    }

    /** Serves fixed ZIP bytes as successive snapshots with increasing timestamps. */
    static final class FixedSource implements SnapshotSource {
        final AtomicLong nextTs;
        volatile byte[] zip;
        volatile RuntimeException failOnTake;
        /** Break the stream with an IOException after this many bytes (-1: never). */
        volatile long breakAfter = -1;
        /** Stop sending (block forever) after this many bytes (-1: never). */
        volatile long stallAfter = -1;
        /** The size announced with the snapshot (as Convex's Content-Length): -2 = the ZIP's real size, -1 = none. */
        volatile long announcedBytes = -1;
        /** How many opens (take, then reopen) breakAfter applies to. */
        volatile int brokenOpens = Integer.MAX_VALUE;
        final AtomicLong opens = new AtomicLong();

        FixedSource(byte[] zip, long firstTs) {
            this.zip = zip;
            this.nextTs = new AtomicLong(firstTs);
        }

        @Override
        public Snapshot take() {
            if (failOnTake != null) {
                throw failOnTake;
            }
            return open(nextTs.getAndAdd(1_000_000_000L));
        }

        /** The same snapshot again, as Convex serves a completed export as often as asked. */
        @Override
        public java.util.Optional<Snapshot> reopen(Snapshot taken) {
            return java.util.Optional.of(open(taken.snapshotTs()));
        }

        private Snapshot open(long ts) {
            long opened = opens.getAndIncrement();
            InputStream stream = new ByteArrayInputStream(zip);
            if (breakAfter >= 0 && opened < brokenOpens) {
                stream = new BreakingStream(stream, breakAfter);
            }
            if (stallAfter >= 0) {
                stream = new StallingStream(stream, stallAfter);
            }
            long announced = announcedBytes == -2 ? zip.length : announcedBytes;
            return new Snapshot(ts, sourceUrl(), instance(), false, announced, stream);
        }

        @Override
        public String instance() {
            return "test-instance";
        }

        @Override
        public String sourceUrl() {
            return "http://127.0.0.1:3210";
        }
    }

    /** Passes {@code limit} bytes through, then does what {@link #afterLimit()} does instead of reading. */
    private abstract static class CutOffStream extends InputStream {
        private final InputStream in;
        private long left;

        CutOffStream(InputStream in, long limit) {
            this.in = in;
            this.left = limit;
        }

        /** Called for every read past the limit; throws, or blocks forever. */
        abstract void afterLimit() throws IOException;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                afterLimit();
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }

    /** Goes silent after {@code limit} bytes, like a peer that keeps the connection open but sends nothing. */
    static final class StallingStream extends CutOffStream {
        StallingStream(InputStream in, long limit) {
            super(in, limit);
        }

        @Override
        void afterLimit() throws IOException {
            try {
                // The stall is the behaviour under test: block until the reader gives up and interrupts.
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    /** Fails like a connection reset after {@code limit} bytes. */
    static final class BreakingStream extends CutOffStream {
        BreakingStream(InputStream in, long limit) {
            super(in, limit);
        }

        @Override
        void afterLimit() throws IOException {
            throw new IOException("Connection reset (injected)");
        }
    }
}

package dev.convexpipeline.migration;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.convex.ConvexValues;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Keeps only some tables of a Convex export ZIP, as a stream: the entries of other tables are
 * skipped and {@code _tables/documents.jsonl} lists only the kept tables, so the import creates
 * nothing else. A writer thread re-zips into a pipe; memory stays at the pipe's buffer.
 */
final class ZipTableFilter {
    private static final int PIPE_BYTES = 1 << 20;

    private ZipTableFilter() {
    }

    /** The table an entry belongs to ({@code users/documents.jsonl} → {@code users}), or null for top-level files. */
    static String tableOf(String entryName) {
        int slash = entryName.lastIndexOf('/');
        return slash <= 0 ? null : entryName.substring(0, slash);
    }

    static InputStream filter(InputStream zip, Set<String> tables) throws IOException {
        PipedInputStream in = new PipedInputStream(PIPE_BYTES);
        PipedOutputStream out = new PipedOutputStream(in);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (zip; ZipInputStream source = new ZipInputStream(zip); ZipOutputStream filtered = new ZipOutputStream(out)) {
                copy(source, filtered, tables);
            } catch (Throwable e) {
                failure.set(e);
                try {
                    out.close();
                } catch (IOException ignored) {
                    // The reader sees the failure below.
                }
            }
        }, "migration-zip-filter");
        writer.setDaemon(true);
        writer.start();
        return new java.io.FilterInputStream(in) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                check(n);
                return n;
            }

            @Override
            public int read() throws IOException {
                int n = super.read();
                check(n);
                return n;
            }

            private void check(int n) throws IOException {
                if (n < 0 && failure.get() != null) {
                    throw new IOException("Filtering the snapshot ZIP failed: " + failure.get().getMessage(), failure.get());
                }
            }

            @Override
            public void close() throws IOException {
                super.close();
                writer.interrupt();
            }
        };
    }

    private static void copy(ZipInputStream source, ZipOutputStream filtered, Set<String> tables) throws IOException {
        ZipEntry entry;
        byte[] buffer = new byte[64 * 1024];
        while ((entry = source.getNextEntry()) != null) {
            String name = entry.getName();
            String table = tableOf(name);
            if (name.equals("_tables/documents.jsonl")) {
                filtered.putNextEntry(new ZipEntry(name));
                keepTableLines(source, filtered, tables);
                filtered.closeEntry();
                continue;
            }
            if (table != null && !tables.contains(table)) {
                continue;
            }
            filtered.putNextEntry(new ZipEntry(name));
            for (int n; (n = source.read(buffer)) > 0; ) {
                filtered.write(buffer, 0, n);
            }
            filtered.closeEntry();
        }
    }

    private static void keepTableLines(InputStream in, OutputStream out, Set<String> tables) throws IOException {
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode row = ConvexValues.parse(line);
            if (tables.contains(row.path("name").asText())) {
                out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}

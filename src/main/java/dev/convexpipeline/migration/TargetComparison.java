package dev.convexpipeline.migration;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.backup.TableDigest;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.convex.SnapshotDocument;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Compares one table of a deployment, read back through {@code list_snapshot}, with the same table
 * in a stored snapshot: document count and the manifest's order-independent digest, computed over
 * each document written as an export line. When they differ, the snapshot's table is read from
 * storage and compared document by document to name the first ids that are missing, extra or changed.
 */
final class TargetComparison {
    private static final BigInteger MOD = BigInteger.ONE.shiftLeft(256);

    private TargetComparison() {
    }

    /**
     * @param base for an append, the target's table before the import (from the rollback point): the
     *             target should then hold base + snapshot, and its digest is their sum
     */
    static TableReport compare(ConvexClient target, BackupTarget storage, SnapshotRecord snapshot, TableReport planned,
                               SnapshotRecord.Table base, int shown) throws IOException {
        String table = planned.table();
        SnapshotRecord.Table expected = snapshot.tables().getOrDefault(table, new SnapshotRecord.Table(0, zero()));
        long expectedCount = expected.documents() + (base == null ? 0 : base.documents());
        String expectedDigest = base == null ? expected.digest() : add(expected.digest(), base.digest());

        TableDigest digest = new TableDigest();
        long count = 0;
        Iterator<SnapshotDocument> documents = target.iterateSnapshot(table);
        while (documents.hasNext()) {
            SnapshotDocument document = documents.next();
            if (!document.component().isEmpty()) {
                continue;
            }
            digest.add(sha256(exportLine(document.document())));
            count++;
        }
        if (count == expectedCount && digest.hex().equals(expectedDigest)) {
            return planned.withVerify(count, true, List.of());
        }
        List<String> ids = differingIds(target, storage, snapshot, table, base == null, shown);
        // Same documents, only written differently (a backend that orders keys another way): not a difference.
        boolean ok = ids.isEmpty() && count == expectedCount;
        return planned.withVerify(count, ok, ids);
    }

    static TableReport compare(ConvexClient target, BackupTarget storage, SnapshotRecord snapshot, TableReport planned,
                               int shown) throws IOException {
        return compare(target, storage, snapshot, planned, null, shown);
    }

    /** A document as the line an export writes for it (the bytes the manifest's digest covers). */
    static byte[] exportLine(JsonNode document) {
        return ConvexValues.write(ConvexValues.toExportJson(document)).getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> differingIds(ConvexClient target, BackupTarget storage, SnapshotRecord snapshot,
                                             String table, boolean extraIsDifference, int shown) throws IOException {
        Map<String, String> expected = new HashMap<>();
        try (InputStream raw = storage.open(snapshot.zipKey()); ZipInputStream zip = new ZipInputStream(raw)) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                if (entry.getName().equals(table + "/documents.jsonl")) {
                    BufferedReader lines = new BufferedReader(new InputStreamReader(zip, StandardCharsets.UTF_8));
                    for (String line; (line = lines.readLine()) != null; ) {
                        if (!line.isBlank()) {
                            JsonNode document = ConvexValues.fromExportJson(ConvexValues.parse(line));
                            expected.put(document.path("_id").asText(), hex(sha256(exportLine(document))));
                        }
                    }
                    break;
                }
            }
        }
        List<String> ids = new ArrayList<>();
        Iterator<SnapshotDocument> documents = target.iterateSnapshot(table);
        while (documents.hasNext() && ids.size() < shown) {
            SnapshotDocument document = documents.next();
            String want = expected.remove(document.id());
            if (want == null) {
                if (extraIsDifference) {
                    ids.add(document.id() + " (not in the snapshot)");
                }
            } else if (!want.equals(hex(sha256(exportLine(document.document()))))) {
                ids.add(document.id() + " (changed)");
            }
        }
        for (Iterator<String> missing = expected.keySet().stream().sorted().iterator();
             missing.hasNext() && ids.size() < shown; ) {
            ids.add(missing.next() + " (missing)");
        }
        return ids;
    }

    static String add(String a, String b) {
        return String.format("%064x", new BigInteger(a, 16).add(new BigInteger(b, 16)).mod(MOD));
    }

    private static String zero() {
        return "0".repeat(64);
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}

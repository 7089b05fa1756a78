package dev.convexpipeline.pitr;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.PipelineVersion;
import dev.convexpipeline.backup.BackupCatalog;
import dev.convexpipeline.backup.BackupEntry;
import dev.convexpipeline.backup.BackupLayout;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.backup.ObjectUpload;
import dev.convexpipeline.backup.StoredObject;
import dev.convexpipeline.convex.ConvexOutOfRetentionException;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.convex.DocumentDelta;
import dev.convexpipeline.convex.DocumentDeltasPage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/**
 * Follows {@code document_deltas} and writes what it reads as change segments beside the backups.
 * One call of {@link #captureOnce()} is one flush: read every change committed since the end of the
 * newest complete segment, write it as one segment (or several, past {@value #MAX_SEGMENT_DOCUMENTS}
 * changes), manifest last. The route calls it every {@code CHANGES_FLUSH_INTERVAL}; the Quartz job
 * is stateful, and clustered across replicas, so only one capturer runs at a time.
 *
 * <p>State lives in the storage only: a restarted (or another) capturer finds the newest manifest
 * and continues exactly there, so a killed flush is read again from the deployment, never skipped
 * and never written twice. When the deployment answers {@code OutOfRetention} the changes after the
 * chain's end are gone: a {@link ChainBreak} is written, and capture waits for the next base backup,
 * whose snapshot starts a new chain.
 */
public final class ChangeCapture {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeCapture.class);
    static final int MAX_SEGMENT_DOCUMENTS = 50_000;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final BackupTarget target;
    private final BackupCatalog backups;
    private final ChangeLayout layout;
    private final ChangeSource source;
    private final CaptureMetrics metrics;
    private final Clock clock;
    private final Path spoolDirectory;

    /** What one flush did. */
    public record Cycle(String outcome, long chainStart, long capturedThrough, int segments, long documents, String message) {
        public static final String WROTE = "wrote";
        public static final String QUIET = "quiet";
        public static final String WAITING = "waiting";
        public static final String BROKEN = "broken";
    }

    private record Position(long chainStart, long cursor, Long brokenAt) {
    }

    public ChangeCapture(BackupTarget target, BackupLayout backupLayout, ChangeSource source, CaptureMetrics metrics,
                         Clock clock, Path spoolDirectory) {
        this.target = target;
        this.backups = new BackupCatalog(target, backupLayout);
        this.layout = new ChangeLayout(backupLayout);
        this.source = source;
        this.metrics = metrics;
        this.clock = clock;
        this.spoolDirectory = spoolDirectory;
    }

    public CaptureMetrics metrics() {
        return metrics;
    }

    public ChangeLayout layout() {
        return layout;
    }

    /** One flush; see the class comment. Failures of the deployment or the storage are thrown and retried next time. */
    public synchronized Cycle captureOnce() throws IOException {
        Optional<Position> found = position();
        if (found.isEmpty()) {
            return new Cycle(Cycle.WAITING, 0, 0, 0, 0, "no base backup yet: change capture starts from the newest backup's snapshot");
        }
        Position at = found.get();
        if (at.brokenAt() != null) {
            Optional<BackupEntry> next = backups.read().backups().stream()
                    .filter(b -> Long.parseLong(b.id()) > at.brokenAt()).min(Comparator.comparing(BackupEntry::snapshotTime));
            if (next.isEmpty()) {
                return new Cycle(Cycle.BROKEN, at.chainStart(), at.cursor(), 0, 0, "the change chain broke after "
                        + ChangeCatalog.iso(at.brokenAt()) + "; capture resumes from the next base backup (run `backup run`)");
            }
            long start = Long.parseLong(next.get().id());
            LOG.info("Starting a new change chain at backup {} ({}) after the break at {}", start,
                    ChangeCatalog.iso(start), ChangeCatalog.iso(at.brokenAt()));
            writeHead(new CaptureHead(start, start, start));
            return capture(new Position(start, start, null));
        }
        return capture(at);
    }

    private Cycle capture(Position at) throws IOException {
        long committed = at.cursor();
        long cursor = committed;
        int written = 0;
        long documents = 0;
        Spool spool = null;
        try {
            while (true) {
                DocumentDeltasPage page = source.page(cursor);
                for (DocumentDelta delta : page.deltas()) {
                    if (spool == null) {
                        spool = new Spool(Files.createTempFile(spoolDirectory, "changes-", ".jsonl.gz"));
                    }
                    spool.add(delta);
                }
                cursor = Math.max(cursor, page.cursor());
                if (!page.hasMore() || (spool != null && spool.count >= MAX_SEGMENT_DOCUMENTS)) {
                    // Pages end on commit boundaries, so everything up to the cursor is in the spool.
                    if (spool != null) {
                        documents += spool.count;
                        commit(spool, at.chainStart(), committed, cursor);
                        spool = null;
                        written++;
                        committed = cursor;
                    }
                    if (!page.hasMore()) {
                        break;
                    }
                }
            }
        } catch (ConvexOutOfRetentionException e) {
            if (spool != null) {
                spool.discard();
            }
            return recordBreak(at.chainStart(), committed, e.serverMessage());
        } catch (IOException | RuntimeException e) {
            if (spool != null) {
                spool.discard();
            }
            metrics.failure(e.getMessage());
            throw e;
        }
        if (written == 0) {
            // Nothing changed up to the cursor: say so, so the restorable window reaches it.
            writeHead(new CaptureHead(at.chainStart(), committed, cursor));
        }
        metrics.captured(cursor);
        return new Cycle(written == 0 ? Cycle.QUIET : Cycle.WROTE, at.chainStart(), cursor, written, documents, null);
    }

    private Cycle recordBreak(long chainStart, long chainEnd, String reason) throws IOException {
        ChainBreak chainBreak = new ChainBreak(chainEnd, ChangeCatalog.iso(chainEnd), clock.instant().toString(), reason);
        target.put(layout.breakKey(chainEnd), SegmentManifest.JSON.writeValueAsBytes(chainBreak), "application/json");
        metrics.chainBroken();
        LOG.error("Change capture lost changes: the deployment no longer has those after {} ({}). Point-in-time restore"
                + " cannot reach past that moment until the next base backup starts a new chain; run `backup run`.",
                ChangeCatalog.iso(chainEnd), reason);
        return new Cycle(Cycle.BROKEN, chainStart, chainEnd, 0, 0, "the deployment no longer has the changes after "
                + ChangeCatalog.iso(chainEnd) + " (" + reason + "); the next base backup starts a new chain: run `backup run`");
    }

    /**
     * Where capture stands: the head hint, then forward through any manifest the head does not
     * know yet (a flush that died between manifest and head). Without a head: the newest backup.
     */
    private Optional<Position> position() throws IOException {
        Optional<CaptureHead> head = new ChangeCatalog(target, layout).readHead();
        long chainStart;
        long cursor;
        if (head.isPresent()) {
            chainStart = head.get().chainStart();
            cursor = head.get().cursor();
        } else {
            Optional<BackupEntry> newest = backups.read().newest();
            if (newest.isEmpty()) {
                return Optional.empty();
            }
            chainStart = Long.parseLong(newest.get().id());
            cursor = chainStart;
            writeHead(new CaptureHead(chainStart, cursor, cursor));
        }
        while (true) {
            Long next = null;
            for (StoredObject object : target.list(layout.segmentsFrom(cursor))) {
                Optional<ChangeLayout.Parsed> parsed = layout.parse(object.key());
                if (parsed.isPresent() && parsed.get().kind() == ChangeLayout.Kind.MANIFEST && parsed.get().fromTs() == cursor) {
                    next = parsed.get().toTs();
                }
            }
            if (next == null) {
                break;
            }
            cursor = next;
        }
        long end = cursor;
        boolean broken = target.list(layout.breakKey(end)).stream().anyMatch(o -> o.key().equals(layout.breakKey(end)));
        return Optional.of(new Position(chainStart, cursor, broken ? end : null));
    }

    private void commit(Spool spool, long chainStart, long fromTs, long toTs) throws IOException {
        spool.close();
        String key = layout.key(fromTs, toTs, ChangeLayout.Kind.SEGMENT);
        long bytes = Files.size(spool.file);
        try (ObjectUpload upload = target.beginUpload(key, bytes); InputStream in = Files.newInputStream(spool.file)) {
            in.transferTo(upload);
            upload.complete();
        } finally {
            Files.deleteIfExists(spool.file);
        }
        SegmentManifest manifest = new SegmentManifest(SegmentManifest.FORMAT, SegmentManifest.VERSION, layout.instance(),
                chainStart, fromTs, toTs, ChangeCatalog.iso(fromTs), ChangeCatalog.iso(toTs), spool.count, spool.tables,
                new SegmentManifest.Segment(layout.segmentName(fromTs, toTs), bytes,
                        HexFormat.of().formatHex(spool.digest.digest())),
                clock.instant().toString(), PipelineVersion.get());
        target.put(layout.key(fromTs, toTs, ChangeLayout.Kind.MANIFEST), manifest.toJson(), "application/json");
        writeHead(new CaptureHead(chainStart, toTs, toTs));
        metrics.segment(spool.count);
        metrics.captured(toTs);
        LOG.debug("Change segment {} written: {} changes", key, spool.count);
    }

    private void writeHead(CaptureHead head) throws IOException {
        target.put(layout.headKey(), SegmentManifest.JSON.writeValueAsBytes(head), "application/json");
    }

    /** A segment being collected in a local gzip file, hashed as it is written. */
    private static final class Spool {
        final Path file;
        final MessageDigest digest;
        final OutputStream out;
        final Map<String, Long> tables = new TreeMap<>();
        long count;
        private boolean closed;

        Spool(Path file) throws IOException {
            this.file = file;
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            out = new GZIPOutputStream(new DigestOutputStream(Files.newOutputStream(file), digest), 64 * 1024);
        }

        void add(DocumentDelta delta) throws IOException {
            out.write(line(delta).getBytes(StandardCharsets.UTF_8));
            out.write('\n');
            count++;
            tables.merge(delta.table(), 1L, Long::sum);
        }

        void close() throws IOException {
            if (!closed) {
                closed = true;
                out.close();
            }
        }

        void discard() {
            try {
                close();
            } catch (IOException ignored) {
                // the file goes anyway
            }
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warn("Could not delete the spool file {}: {}", file, e.getMessage());
            }
        }
    }

    /** The {@code document_deltas} shape, with the document in export_json (the ZIP's own encoding). */
    static String line(DocumentDelta delta) {
        ObjectNode line = NODES.objectNode().put(SegmentLine.TS, delta.ts()).put(SegmentLine.TABLE, delta.table())
                .put(SegmentLine.COMPONENT, delta.component()).put(SegmentLine.DELETED, delta.deleted());
        if (delta.deleted()) {
            line.put("_id", delta.id());
        } else {
            line.setAll((ObjectNode) ConvexValues.toExportJson(delta.document()));
        }
        return ConvexValues.write(line);
    }
}

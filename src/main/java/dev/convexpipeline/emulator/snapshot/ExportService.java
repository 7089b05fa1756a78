package dev.convexpipeline.emulator.snapshot;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexIds;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.functions.SystemFunctions;
import dev.convexpipeline.emulator.http.ApiException;
import dev.convexpipeline.emulator.storage.FileStorage;
import dev.convexpipeline.emulator.store.DatabaseSnapshot;
import dev.convexpipeline.emulator.store.DocumentStore;
import dev.convexpipeline.emulator.store.Transaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * Snapshot exports: an {@code _exports} row moves requested → in_progress → completed while a
 * background worker writes the ZIP of one snapshot to disk (docs/convex-wire.md §2).
 */
public final class ExportService {
    private static final Logger LOG = LoggerFactory.getLogger(ExportService.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Duration RETENTION = Duration.ofDays(14);

    private final DocumentStore store;
    private final Path exportDirectory;
    private final ExecutorService worker;
    private final FileStorage fileStorage;

    public ExportService(DocumentStore store, Path exportDirectory, ExecutorService worker, FileStorage fileStorage) {
        this.store = store;
        this.exportDirectory = exportDirectory;
        this.worker = worker;
        this.fileStorage = fileStorage;
    }

    /** A finished export ready to download. */
    public record Download(Path file, long startTs, long size) {
    }

    /** Records the request and starts the worker; 400 ExportInProgress while another one runs. */
    public String requestExport(boolean includeStorage) {
        String exportId = store.write(tx -> {
            boolean running = tx.query(SystemFunctions.EXPORTS_TABLE).stream()
                    .map(doc -> doc.path("state").asText())
                    .anyMatch(state -> state.equals("requested") || state.equals("in_progress"));
            if (running) {
                throw ApiException.badRequest("ExportInProgress", "There is already an export requested or in progress.");
            }
            ObjectNode export = NODES.objectNode();
            export.put("state", "requested");
            export.set("format", NODES.objectNode().put("format", "zip").put("include_storage", includeStorage));
            export.putNull("component");
            export.put("requestor", "snapshotExport");
            export.set("expiration_ts", ConvexValues.int64(nowNanos() + RETENTION.toNanos()));
            return tx.insert(SystemFunctions.EXPORTS_TABLE, export);
        }).result();
        worker.execute(() -> run(exportId, includeStorage));
        return exportId;
    }

    /** Finds a completed export by its {@code _exports} id or its decimal start_ts. */
    public Download download(String idOrStartTs) {
        DatabaseSnapshot latest = store.latest();
        Optional<ObjectNode> export;
        if (idOrStartTs.chars().allMatch(Character::isDigit) && !idOrStartTs.isEmpty()) {
            long startTs = Long.parseUnsignedLong(idOrStartTs);
            export = latest.documents(SystemFunctions.EXPORTS_TABLE).stream()
                    .filter(doc -> doc.has("start_ts") && doc.get("start_ts").longValue() == startTs)
                    .max(Comparator.comparingDouble(doc -> doc.path(Transaction.CREATION_TIME_FIELD).doubleValue()));
        } else {
            if (!ConvexIds.isValid(idOrStartTs)) {
                throw ApiException.badRequest("BadSnapshotId", "Snapshot Id did not parse to an ID.");
            }
            export = latest.get(idOrStartTs)
                    .filter(doc -> latest.table(SystemFunctions.EXPORTS_TABLE)
                            .map(t -> ConvexIds.decode(idOrStartTs).tableNumber() == t.number()).orElse(false));
        }
        ObjectNode found = export.orElseThrow(() -> new ApiException(404, "ExportNotFound",
                "The requested export " + idOrStartTs + " was not found"));
        if (!"completed".equals(found.path("state").asText())) {
            throw ApiException.badRequest("ExportNotComplete", "The requested export " + idOrStartTs + " has not completed");
        }
        Path file = exportDirectory.resolve(found.path("zip_object_key").asText());
        if (!Files.exists(file)) {
            throw new ApiException(404, "ExportNotFound", "The requested export " + idOrStartTs + " was not found");
        }
        return new Download(file, found.get("start_ts").longValue(), found.get("size").longValue());
    }

    /**
     * {@code set_expiration}: only completed exports. Failures are plain errors in the backend
     * (no error metadata), which reach the client as 500 InternalServerError.
     */
    public void setExpiration(String exportId, long expirationTsNs) {
        store.write(tx -> {
            ObjectNode export = existingExport(tx, exportId);
            if (!"completed".equals(export.path("state").asText())) {
                throw new IllegalStateException("Can only set expiration on completed exports");
            }
            updateIn(tx, exportId, doc -> doc.set("expiration_ts", ConvexValues.int64(expirationTsNs)));
            return null;
        });
    }

    /** {@code cancel}: a requested or running export becomes canceled; its worker then discards the ZIP. */
    public void cancel(String exportId) {
        store.write(tx -> {
            ObjectNode export = existingExport(tx, exportId);
            String state = export.path("state").asText();
            if (!state.equals("requested") && !state.equals("in_progress")) {
                throw new IllegalStateException("Cannot cancel an export in state " + state);
            }
            updateIn(tx, exportId, doc -> {
                doc.put("state", "canceled");
                doc.remove("progress_message");
                if (!doc.has("start_ts")) {
                    doc.putNull("start_ts");
                }
                doc.set("canceled_ts", ConvexValues.int64(nowNanos()));
            });
            return null;
        });
    }

    private static ObjectNode existingExport(Transaction tx, String exportId) {
        boolean isExport = ConvexIds.isValid(exportId) && tx.table(SystemFunctions.EXPORTS_TABLE)
                .map(table -> table.number() == ConvexIds.decode(exportId).tableNumber()).orElse(false);
        ObjectNode export = isExport ? tx.get(exportId) : null;
        if (export == null) {
            throw new IllegalStateException("Snapshot not found: " + exportId);
        }
        return export;
    }

    private void run(String exportId, boolean includeStorage) {
        DatabaseSnapshot snapshot = store.latest();
        long startTs = snapshot.timestamp();
        try {
            if (!"requested".equals(store.latest().get(exportId).map(d -> d.path("state").asText()).orElse(""))) {
                return;
            }
            update(exportId, doc -> {
                doc.put("state", "in_progress");
                doc.set("start_ts", ConvexValues.int64(startTs));
                doc.put("progress_message", "Backing up tables");
            });
            Files.createDirectories(exportDirectory);
            String objectKey = "snapshot_" + startTs + ".zip";
            Path partial = exportDirectory.resolve(objectKey + ".partial");
            SnapshotZipWriter.write(snapshot, includeStorage ? fileStorage : null, partial);
            Path file = exportDirectory.resolve(objectKey);
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
            long size = Files.size(file);
            if (!"in_progress".equals(store.latest().get(exportId).map(d -> d.path("state").asText()).orElse(""))) {
                Files.deleteIfExists(file);
                return;
            }
            update(exportId, doc -> {
                doc.put("state", "completed");
                doc.remove("progress_message");
                doc.set("complete_ts", ConvexValues.int64(nowNanos()));
                doc.put("zip_object_key", objectKey);
                doc.set("size", ConvexValues.int64(size));
            });
        } catch (IOException | RuntimeException e) {
            LOG.error("Export {} failed while writing the ZIP to {}: {}", exportId, exportDirectory, e.toString());
            update(exportId, doc -> {
                doc.put("state", "failed");
                doc.remove("progress_message");
                doc.set("failed_ts", ConvexValues.int64(nowNanos()));
            });
        }
    }

    private void update(String exportId, java.util.function.Consumer<ObjectNode> change) {
        store.write(tx -> {
            updateIn(tx, exportId, change);
            return null;
        });
    }

    private static void updateIn(Transaction tx, String exportId, java.util.function.Consumer<ObjectNode> change) {
        ObjectNode doc = tx.get(exportId).deepCopy();
        doc.remove(Transaction.ID_FIELD);
        doc.remove(Transaction.CREATION_TIME_FIELD);
        change.accept(doc);
        tx.replace(exportId, doc);
    }

    static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}

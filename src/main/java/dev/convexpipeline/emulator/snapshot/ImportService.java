package dev.convexpipeline.emulator.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexIds;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.convex.ImportFormat;
import dev.convexpipeline.convex.ImportMode;
import dev.convexpipeline.emulator.functions.SystemFunctions;
import dev.convexpipeline.emulator.http.ApiException;
import dev.convexpipeline.emulator.storage.FileStorage;
import dev.convexpipeline.emulator.storage.ScratchFiles;
import dev.convexpipeline.emulator.store.DatabaseSnapshot;
import dev.convexpipeline.emulator.store.DocumentStore;
import dev.convexpipeline.emulator.store.StoredTable;
import dev.convexpipeline.emulator.store.TableNames;
import dev.convexpipeline.emulator.store.Transaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.regex.Pattern;

/**
 * Snapshot imports (docs/convex-wire.md §3): multipart upload to disk, then a {@code _snapshot_imports}
 * row driven uploaded → waiting_for_confirmation → in_progress → completed/failed. The data is
 * applied in a single commit, so readers see all of it or none of it.
 */
public final class ImportService {
    private static final Logger LOG = LoggerFactory.getLogger(ImportService.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern UPLOAD_TOKEN = Pattern.compile("[0-9a-f-]{36}");

    private final DocumentStore store;
    private final Path uploadDirectory;
    private final ExecutorService worker;
    private final FileStorage fileStorage;

    public ImportService(DocumentStore store, Path uploadDirectory, ExecutorService worker, FileStorage fileStorage) {
        this.store = store;
        this.uploadDirectory = uploadDirectory;
        this.worker = worker;
        this.fileStorage = fileStorage;
    }

    /** What {@code finish_upload} (or the legacy route) asked for. */
    public record ImportRequest(ImportFormat format, ImportMode mode, String tableName) {
    }

    // ---- upload ----------------------------------------------------------------------------

    public String startUpload() {
        String token = UUID.randomUUID().toString();
        try {
            Files.createDirectories(uploadDirectory.resolve(token));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create the upload directory under " + uploadDirectory, e);
        }
        return token;
    }

    /** Where part {@code partNumber} of an upload is stored; 400 for an unknown token or bad number. */
    public Path partFile(String uploadToken, String partNumber) {
        Path directory = uploadDirectory(uploadToken);
        int number;
        try {
            number = Integer.parseInt(partNumber);
        } catch (NumberFormatException | NullPointerException e) {
            throw ApiException.badRequest("BadQueryArgs",
                    "Failed to deserialize query string: partNumber: invalid digit found in string");
        }
        if (number < 0 || number > 65535) {
            throw ApiException.badRequest("BadQueryArgs",
                    "Failed to deserialize query string: partNumber: number too large to fit in target type");
        }
        return directory.resolve("part-" + number);
    }

    /** The token the client hands back in {@code finish_upload} for this part. */
    public static String partToken(String uploadToken, Path partFile) {
        return uploadToken + "/" + partFile.getFileName();
    }

    /** Validates the request, joins the parts and records an {@code uploaded} import; returns its id. */
    public String finishUpload(ImportRequest request, String uploadToken, List<String> partTokens) {
        validate(request);
        Path directory = uploadDirectory(uploadToken);
        Path combined = uploadDirectory.resolve(uploadToken + ".upload");
        try (OutputStream out = Files.newOutputStream(combined)) {
            for (String partToken : partTokens) {
                String prefix = uploadToken + "/";
                if (!partToken.startsWith(prefix) || partToken.substring(prefix.length()).contains("/")) {
                    throw ApiException.badRequest("InvalidPartToken", "Part token " + partToken
                            + " does not belong to upload " + uploadToken);
                }
                Path part = directory.resolve(partToken.substring(prefix.length()));
                if (!Files.exists(part)) {
                    throw ApiException.badRequest("InvalidPartToken", "Part " + partToken + " was never uploaded");
                }
                Files.copy(part, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not assemble upload " + uploadToken + " in " + uploadDirectory, e);
        }
        ScratchFiles.deleteQuietly(directory);
        String importId = createImport(request, combined);
        worker.execute(() -> analyze(importId));
        return importId;
    }

    /** Writes a whole file for the legacy single-request import. */
    public Path newLegacyUploadFile() {
        String token = startUpload();
        ScratchFiles.deleteQuietly(uploadDirectory.resolve(token));
        return uploadDirectory.resolve(token + ".upload");
    }

    // ---- state machine -----------------------------------------------------------------------

    /** Moves a waiting import to in_progress and applies it in the background; otherwise a no-op. */
    public void performImport(String importId) {
        if (startIfWaiting(importId)) {
            worker.execute(() -> apply(importId));
        }
    }

    /** Moves the import to in_progress if it waits for confirmation; false, changing nothing, otherwise. */
    private boolean startIfWaiting(String importId) {
        return store.write(tx -> {
            ObjectNode doc = findImport(tx.get(importId), importId, tx.table(SystemFunctions.SNAPSHOT_IMPORTS_TABLE));
            if (!"waiting_for_confirmation".equals(doc.path("state").path("state").asText())) {
                return false;
            }
            replaceState(tx, importId, inProgress("Importing"));
            return true;
        }).result();
    }

    public void cancelImport(String importId) {
        store.write(tx -> {
            ObjectNode doc = findImport(tx.get(importId), importId, tx.table(SystemFunctions.SNAPSHOT_IMPORTS_TABLE));
            String state = doc.path("state").path("state").asText();
            if (state.equals("completed") || state.equals("failed")) {
                throw ApiException.badRequest("CannotCancelImport", "Cannot cancel an import that has " + state);
            }
            replaceState(tx, importId, failed("Import canceled"));
            return null;
        });
        discardUploadedFile(importId);
    }

    /** The legacy {@code /api/import}: runs the whole state machine now, auto-confirming. */
    public long importNow(ImportRequest request, Path file) {
        validate(request);
        String importId = createImport(request, file);
        analyze(importId);
        performImportSynchronously(importId);
        ObjectNode state = (ObjectNode) store.latest().get(importId).orElseThrow().get("state");
        if (!"completed".equals(state.path("state").asText())) {
            throw ApiException.badRequest("ImportFailed", state.path("error_message").asText());
        }
        return state.get("num_rows_written").longValue();
    }

    private void performImportSynchronously(String importId) {
        if (startIfWaiting(importId)) {
            apply(importId);
        }
    }

    private String createImport(ImportRequest request, Path file) {
        return store.write(tx -> {
            ObjectNode doc = NODES.objectNode();
            doc.set("state", NODES.objectNode().put("state", "uploaded"));
            ObjectNode format = NODES.objectNode().put("format", request.format().storedName());
            if (request.tableName() != null) {
                format.put("table", request.tableName());
            }
            doc.set("format", format);
            doc.put("mode", request.mode().storedName());
            doc.putNull("component_path");
            doc.put("object_key", file.toString());
            doc.putNull("member_id");
            doc.putNull("checkpoints");
            doc.set("requestor", NODES.objectNode().put("type", "snapshotImport"));
            return tx.insert(SystemFunctions.SNAPSHOT_IMPORTS_TABLE, doc);
        }).result();
    }

    /** uploaded → waiting_for_confirmation (with the change summary) or failed. */
    private void analyze(String importId) {
        try {
            ImportPlan plan = plan(importId);
            Map<String, Long> counts = new TreeMap<>();
            ImportFileReader.read(plan.request.format(), plan.request.tableName(), plan.file, new ImportFileReader.Visitor() {
                /** Like the backend, a table listed in {@code _tables} counts even without a documents entry. */
                @Override
                public void tableNumber(String table, int number) {
                    if (!table.startsWith("_")) {
                        counts.putIfAbsent(table, 0L);
                    }
                }

                @Override
                public void beginTable(String table) {
                    counts.putIfAbsent(table, 0L);
                }

                @Override
                public void document(String table, ObjectNode document) {
                    counts.merge(table, 1L, Long::sum);
                }

                @Override
                public void storageFile(ObjectNode metadata, ImportFileReader.Body body) {
                    counts.merge(FileStorage.TABLE, 1L, Long::sum);
                }
            });
            DatabaseSnapshot snapshot = store.latest();
            if (plan.request.mode() == ImportMode.REPLACE_ALL) {
                snapshot.userTablesByNumber().forEach(table -> counts.putIfAbsent(table.name(), 0L));
            }
            List<ImportSummary.TableChange> changes = new ArrayList<>();
            boolean deletes = false;
            for (Map.Entry<String, Long> entry : counts.entrySet()) {
                long existing = snapshot.table(entry.getKey()).map(t -> (long) t.size()).orElse(0L);
                long deleted = switch (plan.request.mode()) {
                    case REPLACE, REPLACE_ALL -> existing;
                    case APPEND -> 0;
                    case REQUIRE_EMPTY -> {
                        if (existing > 0) {
                            throw new ImportFailure("Table " + entry.getKey()
                                    + " already exists. Please choose a new table name or use replace/append modes.");
                        }
                        yield 0;
                    }
                };
                deletes |= deleted > 0;
                changes.add(new ImportSummary.TableChange(entry.getKey(), entry.getValue(), deleted, existing));
            }
            ObjectNode state = NODES.objectNode().put("state", "waiting_for_confirmation")
                    .put("message_to_confirm", ImportSummary.render(changes))
                    .put("require_manual_confirmation", deletes);
            store.write(tx -> {
                // A cancel that arrived while the file was being read wins.
                if ("uploaded".equals(tx.get(importId).path("state").path("state").asText())) {
                    replaceState(tx, importId, state);
                }
                return null;
            });
        } catch (ImportFailure e) {
            setState(importId, failed("Hit an error while importing:\n" + e.getMessage()));
            discardUploadedFile(importId);
        } catch (IOException | RuntimeException e) {
            LOG.warn("Import {} could not be parsed: {}", importId, e.toString());
            setState(importId, failed("Hit an error while importing:\n" + e.getMessage()));
            discardUploadedFile(importId);
        }
    }

    /** in_progress → completed (one commit for all documents) or failed (nothing written). */
    private void apply(String importId) {
        List<String> newStoredFiles = new ArrayList<>();
        try {
            ImportPlan plan = plan(importId);
            long written = store.write(tx -> {
                if (!"in_progress".equals(tx.get(importId).path("state").path("state").asText())) {
                    return -1L; // canceled while queued: leave the canceled state alone
                }
                TableWriter writer;
                try {
                    writer = new TableWriter(tx, plan.request.mode(), ImportFileReader.tableNames(
                            plan.request.format(), plan.request.tableName(), plan.file), fileStorage, newStoredFiles);
                    ImportFileReader.read(plan.request.format(), plan.request.tableName(), plan.file, writer);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                writer.finish();
                ObjectNode completed = NODES.objectNode().put("state", "completed");
                completed.set("timestamp", ConvexValues.int64(ExportService.nowNanos()));
                completed.set("num_rows_written", ConvexValues.int64(writer.written));
                replaceState(tx, importId, completed);
                return writer.written;
            }).result();
            LOG.info("Import {} wrote {} documents", importId, written);
        } catch (ImportFailure e) {
            newStoredFiles.forEach(fileStorage::delete);
            setState(importId, failed("Hit an error while importing:\n" + e.getMessage()));
        } catch (RuntimeException e) {
            newStoredFiles.forEach(fileStorage::delete);
            LOG.warn("Import {} failed: {}", importId, e.toString());
            setState(importId, failed("Hit an error while importing:\n" + e.getMessage()));
        } finally {
            discardUploadedFile(importId);
        }
    }

    /** The uploaded file is only needed until the import finished one way or the other. */
    private void discardUploadedFile(String importId) {
        store.latest().get(importId).ifPresent(doc -> ScratchFiles.deleteQuietly(Path.of(doc.path("object_key").asText())));
    }


    /**
     * Creates destination tables as their first document (or end of table) arrives, and inserts
     * documents keeping {@code _id}/{@code _creationTime}. Table numbers come from the ZIP's
     * {@code _tables}, else from the first {@code _id}, else the next free number.
     */
    private static final class TableWriter implements ImportFileReader.Visitor {
        private final Transaction tx;
        private final ImportMode mode;
        private final Map<String, Integer> numbersFromZip = new HashMap<>();
        private final Map<String, Boolean> prepared = new LinkedHashMap<>();
        private final Set<String> seenIds = new HashSet<>();
        private final Map<String, Integer> replacedTableNumbers = new HashMap<>();
        private final FileStorage fileStorage;
        private final List<String> newStoredFiles;
        private boolean storagePrepared;
        private long written;

        /**
         * Replace modes drop every table they replace before any is recreated, so the numbers the
         * import brings (a ZIP's {@code _tables}) are free even when the tables swap numbers.
         */
        TableWriter(Transaction tx, ImportMode mode, Set<String> importedTables, FileStorage fileStorage,
                    List<String> newStoredFiles) {
            this.tx = tx;
            this.mode = mode;
            this.fileStorage = fileStorage;
            this.newStoredFiles = newStoredFiles;
            if (mode.replacesTables()) {
                List<String> replaced = new ArrayList<>();
                for (StoredTable table : tx.tables().values()) {
                    if (!table.isSystem() && (mode == ImportMode.REPLACE_ALL || importedTables.contains(table.name()))) {
                        replaced.add(table.name());
                        replacedTableNumbers.put(table.name(), table.number());
                    }
                }
                replaced.forEach(tx::dropTable);
            }
        }

        @Override
        public void tableNumber(String table, int number) {
            numbersFromZip.put(table, number);
            if (!table.startsWith("_")) {
                prepared.putIfAbsent(table, false);
            }
        }

        @Override
        public void beginTable(String table) {
            prepared.putIfAbsent(table, false);
        }

        @Override
        public void document(String table, ObjectNode document) {
            if (!prepared.getOrDefault(table, false)) {
                prepare(table, document);
            }
            JsonNode id = document.get(Transaction.ID_FIELD);
            if (id != null) {
                checkId(table, id);
            }
            tx.insertPreservingSystemFields(table, document);
            written++;
        }

        /**
         * Stores the body (checked against the row's sha256 and size) and inserts its
         * {@code _storage} row with the original id and creation time. Files are not counted
         * as written documents, as the backend does not count them.
         */
        @Override
        public void storageFile(ObjectNode metadata, ImportFileReader.Body body) {
            String id = metadata.get(Transaction.ID_FIELD).textValue();
            if (!ConvexIds.isValid(id)) {
                throw new ImportFailure("InvalidStorageId", "_storage id '" + id + "' invalid");
            }
            if (!storagePrepared) {
                prepareStorage(id);
            }
            int number = tx.table(FileStorage.TABLE).orElseThrow().number();
            if (ConvexIds.decode(id).tableNumber() != number) {
                throw new ImportFailure("InvalidId", "_storage entry has invalid ID " + id + " ("
                        + ConvexIds.decode(id).tableNumber() + " != " + number + ")");
            }
            boolean existed = fileStorage.exists(id);
            FileStorage.Stored stored;
            try (java.io.InputStream in = body.open()) {
                stored = fileStorage.store(id, in);
            } catch (IOException e) {
                throw new UncheckedIOException("Could not store _storage file " + id + ": " + e.getMessage(), e);
            }
            if (!existed) {
                newStoredFiles.add(id);
            }
            JsonNode expectedSha = metadata.get("sha256");
            if (expectedSha != null && expectedSha.isTextual() && !expectedSha.textValue().equals(stored.sha256())) {
                throw new ImportFailure("Sha256Mismatch", "_storage file " + id + " is damaged: its sha256 is "
                        + stored.sha256() + " but _storage/documents.jsonl says " + expectedSha.textValue());
            }
            JsonNode expectedSize = metadata.get("size");
            if (expectedSize != null && expectedSize.isNumber() && expectedSize.longValue() != stored.size()) {
                throw new ImportFailure("SizeMismatch", "_storage file " + id + " is damaged: it has " + stored.size()
                        + " bytes but _storage/documents.jsonl says " + expectedSize.longValue());
            }
            ObjectNode row = NODES.objectNode().put(Transaction.ID_FIELD, id);
            JsonNode creationTime = metadata.get(Transaction.CREATION_TIME_FIELD);
            if (creationTime != null && creationTime.isNumber()) {
                row.put(Transaction.CREATION_TIME_FIELD, creationTime.doubleValue());
            }
            row.put("sha256", stored.sha256());
            row.set("size", ConvexValues.int64(stored.size()));
            if (metadata.path("contentType").isTextual()) {
                row.put("contentType", metadata.get("contentType").textValue());
            }
            if (!seenIds.add(id) || tx.table(FileStorage.TABLE).orElseThrow().documents()
                    .containsKey(HexFormat.of().formatHex(ConvexIds.decode(id).internalId()))) {
                throw new ImportFailure("DuplicateId", "Objects in table \"_storage\" have duplicate _id field " + id);
            }
            tx.insertPreservingSystemFields(FileStorage.TABLE, row);
        }

        /** {@code _storage} takes the number its ids carry; replace modes clear it first. */
        private void prepareStorage(String firstId) {
            storagePrepared = true;
            Optional<StoredTable> existing = tx.table(FileStorage.TABLE);
            if (existing.isPresent() && mode.replacesTables()) {
                tx.dropTable(FileStorage.TABLE);
                existing = Optional.empty();
            }
            if (existing.isPresent()) {
                if (mode == ImportMode.REQUIRE_EMPTY && existing.get().size() > 0) {
                    throw new ImportFailure("Table _storage already exists. Please choose a new table name or use"
                            + " replace/append modes.");
                }
                return;
            }
            int number = ConvexIds.decode(firstId).tableNumber();
            if (tx.isNumberTaken(number)) {
                throw new ImportFailure("InvalidId", "_storage entry has invalid ID " + firstId + " (" + number
                        + " is already the number of another table)");
            }
            tx.createTable(FileStorage.TABLE, number);
        }

        void finish() {
            new ArrayList<>(prepared.keySet()).forEach(table -> {
                if (!prepared.get(table)) {
                    prepare(table, null);
                }
            });
        }

        private void prepare(String table, ObjectNode firstDocument) {
            prepared.put(table, true);
            TableNames.problemWithImportTarget(table).ifPresent(problem -> {
                throw new ImportFailure("InvalidTableName", problem);
            });
            Optional<StoredTable> existing = tx.table(table);
            if (existing.isPresent()) {
                // Append / requireEmpty write into the existing table (replace modes dropped it already).
                if (mode == ImportMode.REQUIRE_EMPTY && existing.get().size() > 0) {
                    throw new ImportFailure("Table " + table
                            + " already exists. Please choose a new table name or use replace/append modes.");
                }
                return;
            }
            Integer existingNumber = replacedTableNumbers.get(table);
            Integer wanted = numbersFromZip.get(table);
            if (wanted == null && firstDocument != null && firstDocument.path(Transaction.ID_FIELD).isTextual()
                    && ConvexIds.isValid(firstDocument.get(Transaction.ID_FIELD).textValue())) {
                wanted = ConvexIds.decode(firstDocument.get(Transaction.ID_FIELD).textValue()).tableNumber();
            }
            int number;
            if (wanted != null && wanted >= 10001 && !tx.isNumberTaken(wanted)) {
                number = wanted;
            } else if (existingNumber != null && !tx.isNumberTaken(existingNumber)) {
                number = existingNumber;
            } else {
                number = tx.nextFreeTableNumber(table);
            }
            tx.createTable(table, number);
        }

        private void checkId(String table, JsonNode id) {
            String text = id.isTextual() ? id.textValue() : ConvexValues.write(id);
            if (!id.isTextual() || !ConvexIds.isValid(text)) {
                throw new ImportFailure("InvalidId", "_id " + text + " cannot be imported into '" + table
                        + "' because its IDs have a different format");
            }
            int number = tx.table(table).orElseThrow().number();
            if (ConvexIds.decode(text).tableNumber() != number) {
                throw new ImportFailure("ImportConflict", "_id " + text + " cannot be imported into '" + table
                        + "' because it came from a different deployment and conflict with preexisting tables in this "
                        + "deployment. Try deleting preexisting tables or importing into an empty\n"
                        + "                         deployment.");
            }
            String internal = HexFormat.of().formatHex(ConvexIds.decode(text).internalId());
            if (!seenIds.add(text) || tx.table(table).orElseThrow().documents().containsKey(internal)) {
                throw new ImportFailure("DuplicateId", "Objects in table \"" + table + "\" have duplicate _id field "
                        + text);
            }
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private record ImportPlan(ImportRequest request, Path file) {
    }

    private ImportPlan plan(String importId) {
        ObjectNode doc = store.latest().get(importId).orElseThrow();
        JsonNode format = doc.get("format");
        ImportFormat importFormat = ImportFormat.fromStoredName(format.path("format").asText()).orElseThrow();
        String table = format.has("table") ? format.get("table").asText() : null;
        ImportMode mode = ImportMode.fromStoredName(doc.path("mode").asText()).orElseThrow();
        return new ImportPlan(new ImportRequest(importFormat, mode, table), Path.of(doc.get("object_key").asText()));
    }

    private static void validate(ImportRequest request) {
        if (request.format() == ImportFormat.ZIP) {
            if (request.tableName() != null) {
                throw ApiException.badRequest("InvalidName", "ZIP import cannot have table name");
            }
            return;
        }
        if (request.tableName() == null) {
            throw ApiException.badRequest("InvalidName", request.format().label() + " import requires table name");
        }
        TableNames.problemWithIdentifier(request.tableName()).ifPresent(problem -> {
            throw ApiException.badRequest("ImportInvalidName", "invalid table name " + request.tableName() + ": " + problem);
        });
    }

    private Path uploadDirectory(String uploadToken) {
        if (uploadToken == null || !UPLOAD_TOKEN.matcher(uploadToken).matches()
                || !Files.isDirectory(uploadDirectory.resolve(uploadToken))) {
            throw ApiException.badRequest("InvalidUploadToken", "Upload token " + uploadToken + " is not a started upload");
        }
        return uploadDirectory.resolve(uploadToken);
    }

    private static ObjectNode findImport(ObjectNode doc, String importId, Optional<StoredTable> importsTable) {
        boolean isImport = doc != null && importsTable.isPresent()
                && ConvexIds.decode(importId).tableNumber() == importsTable.get().number();
        if (!isImport) {
            throw ApiException.badRequest("InvalidImport", "invalid import id " + importId);
        }
        return doc;
    }

    private void setState(String importId, ObjectNode state) {
        store.write(tx -> {
            replaceState(tx, importId, state);
            return null;
        });
    }

    private static void replaceState(Transaction tx, String importId, ObjectNode state) {
        ObjectNode doc = tx.get(importId).deepCopy();
        doc.remove(Transaction.ID_FIELD);
        doc.remove(Transaction.CREATION_TIME_FIELD);
        doc.set("state", state);
        tx.replace(importId, doc);
    }

    private static ObjectNode inProgress(String message) {
        ObjectNode state = NODES.objectNode().put("state", "in_progress").put("progress_message", message);
        state.putArray("checkpoint_messages");
        return state;
    }

    private static ObjectNode failed(String message) {
        return NODES.objectNode().put("state", "failed").put("error_message", message);
    }
}

package dev.convexpipeline.convex;

import dev.convexpipeline.convex.ConvexClient.Call;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Snapshot imports into a Convex deployment, as {@code npx convex import} does them (docs/convex-wire.md):
 * upload in parts, finish, then poll until the import completes. Sends through its
 * {@link ConvexClient}'s transport, so it shares that client's connections, retries and errors;
 * {@link ConvexClient}'s import methods delegate here.
 */
final class ConvexSnapshotImports {
    private static final Logger LOG = LoggerFactory.getLogger(ConvexSnapshotImports.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int MAX_PART_NUMBER = 65_535;
    static final String IMPORT_STATUS = "_system/cli/queryImport:default";

    private final ConvexClient client;

    ConvexSnapshotImports(ConvexClient client) {
        this.client = client;
    }

    /**
     * Imports {@code source} (read to its end, not closed) the way {@code npx convex import} does:
     * multipart upload in parts of {@link ImportOptions#partSize()} bytes read into one reused
     * buffer, so memory stays bounded by the part size whatever the input size; then
     * {@code finish_upload}, then polling {@code _system/cli/queryImport} until the import completes.
     *
     * <p>An import that would delete existing documents is performed only with
     * {@link ImportOptions#confirmDeletes()}; otherwise it is canceled and this method fails naming
     * the deletes.
     *
     * @throws ConvexSnapshotException when the import fails, needs unconfirmed deletes or times out
     */
    public ImportResult importSnapshot(InputStream source, ImportOptions options) {
        return awaitImport(uploadImport(source, options, bytes -> { }), options);
    }

    /**
     * Uploads an import without starting it: start_upload, the parts, finish_upload. The server
     * applies nothing until the import is confirmed ({@link #awaitImport} confirms it), so a caller
     * can record the returned id first and never apply one upload twice.
     *
     * @param partSent called after each part with the bytes sent so far
     * @return the {@code _snapshot_imports} id
     */
    public String uploadImport(InputStream source, ImportOptions options, java.util.function.LongConsumer partSent) {
        Objects.requireNonNull(source, "source");
        String uploadToken = startUpload();
        List<String> partTokens = uploadParts(source, uploadToken, options, partSent);
        String importId = finishUpload(uploadToken, partTokens, options);
        LOG.debug("Import {} uploaded to {} in {} part(s)", importId, client.deployment(), partTokens.size());
        return importId;
    }

    /** The {@code state} object of an import ({@code uploaded}, {@code waiting_for_confirmation}, …), or empty if unknown. */
    public Optional<JsonNode> importState(String importId) {
        JsonNode doc = client.query(IMPORT_STATUS, NODES.objectNode().put("importId", importId));
        return doc == null || doc.isNull() ? Optional.empty() : Optional.of(doc.path("state"));
    }

    private String startUpload() {
        Call call = Call.post("/api/import/start_upload", "import start_upload",
                HttpRequest.BodyPublishers.noBody(), "application/json");
        JsonNode response = client.parseJson(call, client.execute(call).body());
        String token = response.path("uploadToken").asText(null);
        if (token == null) {
            throw new ConvexException(call.describe(client.deployment()) + " returned no uploadToken");
        }
        return token;
    }

    private List<String> uploadParts(InputStream source, String uploadToken, ImportOptions options,
                                     java.util.function.LongConsumer partSent) {
        byte[] buffer = new byte[options.partSize()];
        List<String> tokens = new ArrayList<>();
        long sent = 0;
        for (int partNumber = 1; ; partNumber++) {
            int filled = ConvexClient.readFully(source, buffer);
            if (filled == 0 && partNumber > 1) {
                break;
            }
            if (partNumber > MAX_PART_NUMBER) {
                throw new IllegalArgumentException("Import source needs more than " + MAX_PART_NUMBER
                        + " parts of " + options.partSize() + " bytes; raise ImportOptions.partSize");
            }
            // The server rejects a UTF-8 BOM in text imports; the CLI strips it the same way.
            int offset = partNumber == 1 && options.format() != ImportFormat.ZIP && ConvexClient.hasUtf8Bom(buffer, filled) ? 3 : 0;
            Call call = Call.post("/api/import/upload_part?uploadToken=" + ConvexClient.urlEncode(uploadToken) + "&partNumber=" + partNumber,
                    "import upload_part " + partNumber,
                    HttpRequest.BodyPublishers.ofByteArray(buffer, offset, filled - offset), "application/octet-stream");
            tokens.add(client.parseJson(call, client.execute(call).body()).asText());
            sent += filled;
            partSent.accept(sent);
            if (filled < buffer.length) {
                break;
            }
        }
        return tokens;
    }

    private String finishUpload(String uploadToken, List<String> partTokens, ImportOptions options) {
        ObjectNode importArgs = NODES.objectNode();
        importArgs.put("format", options.format().wireName());
        importArgs.put("mode", options.mode().wireName());
        if (options.tableName() != null) {
            importArgs.put("tableName", options.tableName());
        }
        ObjectNode body = NODES.objectNode();
        body.set("import", importArgs);
        body.put("uploadToken", uploadToken);
        ArrayNode tokens = body.putArray("partTokens");
        partTokens.forEach(tokens::add);
        Call call = Call.post("/api/import/finish_upload", "import finish_upload", ConvexClient.json(body), "application/json");
        JsonNode response = client.parseJson(call, client.execute(call).body());
        String importId = response.path("importId").asText(null);
        if (importId == null) {
            throw new ConvexException(call.describe(client.deployment()) + " returned no importId");
        }
        return importId;
    }

    /** Polls an uploaded import until it completes, confirming deletes only if the options allow it. */
    public ImportResult awaitImport(String importId, ImportOptions options) {
        ObjectNode args = NODES.objectNode().put("importId", importId);
        long deadline = System.nanoTime() + options.timeout().toNanos();
        Duration delay = ConvexClient.FIRST_POLL_DELAY;
        int checkpointsSeen = 0;
        String lastProgress = null;
        boolean confirmed = false;
        String state = null;
        while (true) {
            JsonNode doc = client.query(IMPORT_STATUS, args);
            if (doc == null || doc.isNull()) {
                throw new ConvexSnapshotException("Import " + importId + " is unknown to " + client.deployment()
                        + "; it may have been deleted");
            }
            JsonNode stateNode = doc.path("state");
            state = stateNode.path("state").asText();
            switch (state) {
                case "completed" -> {
                    return new ImportResult(importId, stateNode.path("num_rows_written").asLong());
                }
                case "failed" -> throw new ConvexSnapshotException("Import " + importId + " (" + describe(options)
                        + ") into " + client.deployment() + " failed: " + client.redact(stateNode.path("error_message").asText()));
                case "waiting_for_confirmation" -> {
                    if (!confirmed) {
                        String summary = stateNode.path("message_to_confirm").asText("");
                        boolean deletes = stateNode.path("require_manual_confirmation").asBoolean(true);
                        if (deletes && !options.confirmDeletes()) {
                            cancelImportQuietly(importId);
                            throw new ConvexSnapshotException("Import " + importId + " (" + describe(options)
                                    + ") into " + client.deployment() + " would delete existing documents and confirmDeletes"
                                    + " is false, so it was canceled. Server summary:\n" + summary
                                    + "\nSet confirmDeletes to proceed.");
                        }
                        progress(options, summary);
                        performImport(importId);
                        confirmed = true;
                    }
                }
                case "in_progress" -> {
                    JsonNode checkpoints = stateNode.path("checkpoint_messages");
                    for (; checkpointsSeen < checkpoints.size(); checkpointsSeen++) {
                        progress(options, checkpoints.get(checkpointsSeen).asText());
                    }
                    String message = stateNode.path("progress_message").asText(null);
                    if (message != null && !message.equals(lastProgress)) {
                        lastProgress = message;
                        progress(options, message);
                    }
                }
                default -> {
                    // "uploaded" (still parsing) or a newer state this client does not know: keep waiting.
                }
            }
            if (System.nanoTime() > deadline) {
                throw new ConvexSnapshotException("Import " + importId + " into " + client.deployment() + " did not finish within "
                        + options.timeout() + " (last state " + state + "); it keeps running on the server: raise"
                        + " ImportOptions.timeout or wait with awaitImport");
            }
            ConvexClient.sleep(delay, "waiting for import " + importId);
            delay = ConvexClient.min(delay.multipliedBy(2), options.pollInterval());
        }
    }

    /** Confirms an import that is waiting for confirmation ({@code POST /api/perform_import}). */
    public void performImport(String importId) {
        ObjectNode body = NODES.objectNode().put("importId", importId);
        client.execute(Call.post("/api/perform_import", "perform_import " + importId, ConvexClient.json(body), "application/json"));
    }

    /** Cancels an import that has not completed ({@code POST /api/cancel_import}). */
    public void cancelImport(String importId) {
        ObjectNode body = NODES.objectNode().put("importId", importId);
        client.execute(Call.post("/api/cancel_import", "cancel_import " + importId, ConvexClient.json(body), "application/json"));
    }

    private void cancelImportQuietly(String importId) {
        try {
            cancelImport(importId);
        } catch (ConvexException e) {
            LOG.warn("Could not cancel unconfirmed import {} on {}: {}", importId, client.deployment(), e.getMessage());
        }
    }

    private static void progress(ImportOptions options, String message) {
        if (message != null && !message.isEmpty()) {
            options.progress().accept(message);
        }
    }

    private static String describe(ImportOptions options) {
        return options.format().wireName() + ", mode " + options.mode().wireName()
                + (options.tableName() == null ? "" : ", table " + options.tableName());
    }
}

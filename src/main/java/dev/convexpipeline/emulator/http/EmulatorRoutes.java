package dev.convexpipeline.emulator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.convex.ImportFormat;
import dev.convexpipeline.convex.ImportMode;
import dev.convexpipeline.emulator.functions.FunctionKind;
import dev.convexpipeline.emulator.functions.FunctionOutcome;
import dev.convexpipeline.emulator.functions.FunctionPath;
import dev.convexpipeline.emulator.functions.FunctionRunner;
import dev.convexpipeline.emulator.functions.Identity;
import dev.convexpipeline.emulator.snapshot.ExportService;
import dev.convexpipeline.emulator.snapshot.ImportService;
import dev.convexpipeline.emulator.store.DatabaseSnapshot;
import dev.convexpipeline.emulator.store.DocumentStore;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The HTTP routes of a self-hosted backend that the emulator serves (docs/convex-wire.md §1–§4, §7).
 * Every handler that touches the store runs on a worker thread, never on the event loop. Each
 * handler checks things in the backend's order: header format, body, function path, key, execution.
 */
public final class EmulatorRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(EmulatorRoutes.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final long MAX_JSON_BODY_BYTES = 64L * 1024 * 1024;
    static final String VERSION = "unknown";

    private final Vertx vertx;
    private final DocumentStore store;
    private final FunctionRunner runner;
    private final AdminKeys adminKeys;
    private final ExportService exports;
    private final ImportService imports;
    private final ListSnapshotHandler listSnapshot;
    private final DocumentDeltasHandler documentDeltas;
    private final SyncSocketHandler syncSockets;

    public EmulatorRoutes(Vertx vertx, DocumentStore store, FunctionRunner runner, AdminKeys adminKeys,
                          ExportService exports, ImportService imports) {
        this.vertx = vertx;
        this.store = store;
        this.runner = runner;
        this.adminKeys = adminKeys;
        this.exports = exports;
        this.imports = imports;
        this.listSnapshot = new ListSnapshotHandler(store);
        this.documentDeltas = new DocumentDeltasHandler(store);
        this.syncSockets = new SyncSocketHandler(vertx, store, runner, adminKeys);
    }

    public SyncSocketHandler syncSockets() {
        return syncSockets;
    }

    public Router router() {
        Router router = Router.router(vertx);
        // Like router.rs::cors: any origin (mirrored), credentials allowed, request headers mirrored.
        router.route().handler(CorsHandler.create().addOriginWithRegex(".*").allowCredentials(true)
                .allowedMethods(java.util.Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.OPTIONS,
                        HttpMethod.PATCH, HttpMethod.DELETE, HttpMethod.PUT)));
        BodyHandler json = BodyHandler.create(false).setBodyLimit(MAX_JSON_BODY_BYTES);

        router.get("/version").handler(ctx -> text(ctx, VERSION));
        router.get("/instance_version").handler(ctx -> text(ctx, VERSION));
        router.get("/instance_name").handler(ctx -> text(ctx, adminKeys.instanceName()));
        router.get("/").handler(ctx -> text(ctx, "This Convex deployment is running. See https://docs.convex.dev/."));
        router.post("/echo").handler(json).handler(ctx -> {
            String contentType = ctx.request().getHeader("Content-Type");
            if (contentType != null) {
                ctx.response().putHeader("Content-Type", contentType);
            }
            ctx.response().end(ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer());
        });

        router.route("/api/:clientVersion/sync").handler(syncSockets::upgrade);
        router.route("/api/sync").handler(syncSockets::upgrade);

        blocking(router.post("/api/query").handler(json), ctx -> callFunction(ctx, FunctionKind.QUERY));
        blocking(router.post("/api/mutation").handler(json), ctx -> callFunction(ctx, FunctionKind.MUTATION));
        blocking(router.post("/api/action").handler(json), ctx -> callFunction(ctx, FunctionKind.ACTION));
        blocking(router.postWithRegex("/api/run/(?<identifier>.+)").handler(json), this::runByIdentifier);
        blocking(router.post("/api/function").handler(json), this::callAnyFunction);
        blocking(router.post("/api/query_batch").handler(json), this::queryBatch);
        blocking(router.post("/api/query_ts").handler(json), this::queryTimestamp);
        blocking(router.post("/api/query_at_ts").handler(json), this::queryAtTimestamp);
        blocking(router.get("/api/check_admin_key"), this::checkAdminKey);
        DeploymentStateHandler deploymentState = new DeploymentStateHandler(runner.deploymentState(), adminKeys);
        blocking(router.post("/api/v1/pause_deployment"), deploymentState::pause);
        blocking(router.post("/api/v1/unpause_deployment"), deploymentState::unpause);

        blocking(router.post("/api/export/request/zip").handler(json), this::requestExport);
        router.get("/api/export/zip/:id").handler(this::downloadExport);
        blocking(router.post("/api/export/set_expiration/:snapshotId").handler(json), this::setExportExpiration);
        blocking(router.post("/api/export/cancel/:snapshotId").handler(json), this::cancelExport);

        blocking(router.post("/api/import/start_upload").handler(json), this::startUpload);
        router.post("/api/import/upload_part").handler(this::uploadPart);
        blocking(router.post("/api/import/finish_upload").handler(json), this::finishUpload);
        blocking(router.post("/api/perform_import").handler(json), this::performImport);
        blocking(router.post("/api/cancel_import").handler(json), this::cancelImport);
        router.post("/api/import").handler(this::legacyImport);

        // Streaming export (docs/convex-wire.md §4): admin only; GET takes query parameters, POST a JSON body.
        blocking(router.get("/api/list_snapshot"), adminOnly(ctx -> listSnapshot.handle(ctx, false)));
        blocking(router.post("/api/list_snapshot").handler(json), adminOnly(ctx -> listSnapshot.handle(ctx, true)));
        blocking(router.get("/api/test_streaming_export_connection"), adminOnly(ctx -> json(ctx, 200, NODES.nullNode())));
        blocking(router.get("/api/get_table_column_names"), this::tableColumnNames);
        blocking(router.get("/api/document_deltas"), adminOnly(ctx -> documentDeltas.handle(ctx, false)));
        blocking(router.post("/api/document_deltas").handler(json), adminOnly(ctx -> documentDeltas.handle(ctx, true)));

        new CliRoutes(store, adminKeys).register(router, json, this::blocking);

        // axum answers unmatched routes and wrong methods with an empty body, not an HTML page.
        router.errorHandler(404, ctx -> ctx.response().setStatusCode(404).end());
        router.errorHandler(405, ctx -> ctx.response().setStatusCode(405).end());
        router.errorHandler(413, ctx -> error(ctx, new ApiException(413, "PayloadTooLarge", "Request body is too large")));
        router.errorHandler(500, ctx -> {
            if (ctx.failure() instanceof ApiException api) {
                error(ctx, api);
                return;
            }
            LOG.error("Unhandled error on {} {}", ctx.request().method(), ctx.request().path(), ctx.failure());
            error(ctx, new ApiException(500, "InternalServerError", "Your request couldn't be completed. Try again later."));
        });
        return router;
    }

    // ---- function calls ----------------------------------------------------------------------------

    /**
     * A function call as the call routes read it, in the backend's order (so the first problem is the one reported):
     * credentials, the client's default result format, the JSON body, its {@code path} (unless the URL names the
     * function) and its {@code args}.
     */
    private record CallRequest(AdminKeys.Credentials credentials, String defaultFormat, ObjectNode body, String path,
                               JsonNode args) {
        /** The body's {@code format}, else the client's default. */
        String format() {
            return formatOr(defaultFormat);
        }

        String formatOr(String fallback) {
            String format = JsonBodies.optionalString(body, "format");
            return format != null ? format : fallback;
        }
    }

    private CallRequest callRequest(RoutingContext ctx, boolean pathInBody) {
        AdminKeys.Credentials credentials = credentials(ctx);
        String defaultFormat = ClientVersions.defaultFormat(ctx.request().getHeader("Convex-Client"));
        ObjectNode body = JsonBodies.object(ctx);
        String path = pathInBody ? JsonBodies.requiredString(body, "path") : null;
        return new CallRequest(credentials, defaultFormat, body, path, JsonBodies.required(body, "args"));
    }

    private void callFunction(RoutingContext ctx, FunctionKind kind) {
        CallRequest call = callRequest(ctx, true);
        String format = call.format();
        FunctionPath functionPath = parsePath(call.path());
        Identity identity = adminKeys.authenticate(call.credentials());
        sendOutcome(ctx, runner.call(new FunctionRunner.Call(functionPath, kind, FunctionRunner.Route.PUBLIC_API,
                identity, call.args(), null)), format);
    }

    private void runByIdentifier(RoutingContext ctx) {
        CallRequest call = callRequest(ctx, false);
        // /api/run answers JSON unless asked otherwise, whatever the client's version.
        String format = call.formatOr("json");
        String[] segments = ctx.pathParam("identifier").split("/");
        List<String> parts = new ArrayList<>();
        for (String segment : segments) {
            if (!segment.isEmpty()) {
                parts.add(URLDecoder.decode(segment, StandardCharsets.UTF_8));
            }
        }
        if (parts.size() < 2) {
            throw ApiException.badRequest("MissingIdentifier",
                    "Path or function name not provided in path, e.g. /api/run/messages/list");
        }
        String path = String.join("/", parts.subList(0, parts.size() - 1)) + ":" + parts.get(parts.size() - 1);
        FunctionPath functionPath = parsePath(path);
        Identity identity = adminKeys.authenticate(call.credentials());
        sendOutcome(ctx, runner.call(new FunctionRunner.Call(functionPath, null, FunctionRunner.Route.ANY_FUNCTION,
                identity, call.args(), null)), format);
    }

    private void callAnyFunction(RoutingContext ctx) {
        CallRequest call = callRequest(ctx, true);
        String format = call.format();
        String componentPath = JsonBodies.optionalString(call.body(), "componentPath");
        FunctionPath functionPath = parsePath(call.path());
        Identity identity = adminKeys.authenticate(call.credentials());
        AdminKeys.requireAdmin(identity);
        FunctionOutcome outcome = componentPath != null && !componentPath.isEmpty()
                ? FunctionOutcome.componentNotFound(componentPath)
                : runner.call(new FunctionRunner.Call(functionPath, null, FunctionRunner.Route.ANY_FUNCTION, identity,
                        call.args(), null));
        sendOutcome(ctx, outcome, format);
    }

    private void queryBatch(RoutingContext ctx) {
        AdminKeys.Credentials credentials = credentials(ctx);
        String defaultFormat = ClientVersions.defaultFormat(ctx.request().getHeader("Convex-Client"));
        ObjectNode body = JsonBodies.object(ctx);
        JsonNode queries = JsonBodies.required(body, "queries");
        if (!queries.isArray()) {
            throw JsonBodies.deserializeError("invalid type: map, expected a sequence", ConvexValues.write(body));
        }
        List<FunctionPath> paths = new ArrayList<>();
        for (JsonNode query : queries) {
            if (!query.isObject()) {
                throw JsonBodies.deserializeError("invalid type, expected struct UdfPostRequest", ConvexValues.write(body));
            }
            paths.add(parsePath(JsonBodies.requiredString((ObjectNode) query, "path")));
            JsonBodies.required((ObjectNode) query, "args");
        }
        Identity identity = adminKeys.authenticate(credentials);
        DatabaseSnapshot snapshot = store.latest();
        ArrayNode results = NODES.arrayNode();
        for (int i = 0; i < paths.size(); i++) {
            ObjectNode query = (ObjectNode) queries.get(i);
            FunctionOutcome outcome = runner.call(new FunctionRunner.Call(paths.get(i), FunctionKind.QUERY,
                    FunctionRunner.Route.PUBLIC_API, identity, query.get("args"), snapshot));
            String format = JsonBodies.optionalString(query, "format");
            results.add(outcomeBody(outcome, format != null ? format : defaultFormat));
        }
        ObjectNode response = NODES.objectNode();
        response.set("results", results);
        json(ctx, 200, response);
    }

    private void queryTimestamp(RoutingContext ctx) {
        AdminKeys.Credentials credentials = credentials(ctx);
        adminKeys.authenticate(credentials);
        json(ctx, 200, NODES.objectNode().put("ts", encodeTimestamp(store.latest().timestamp())));
    }

    private void queryAtTimestamp(RoutingContext ctx) {
        CallRequest call = callRequest(ctx, true);
        String ts = JsonBodies.requiredString(call.body(), "ts");
        String format = call.format();
        long timestamp = decodeTimestamp(ts);
        FunctionPath functionPath = parsePath(call.path());
        Identity identity = adminKeys.authenticate(call.credentials());
        DatabaseSnapshot snapshot = store.at(timestamp).orElseThrow(() -> new ApiException(503, "OutOfRetention",
                "Timestamp " + timestamp + " is outside the emulator's retained snapshots; call /api/query_ts again"));
        sendOutcome(ctx, runner.call(new FunctionRunner.Call(functionPath, FunctionKind.QUERY,
                FunctionRunner.Route.PUBLIC_API, identity, call.args(), snapshot)), format);
    }

    private void checkAdminKey(RoutingContext ctx) {
        requireAdmin(ctx);
        ObjectNode response = NODES.objectNode().put("success", true);
        // An admin key may do everything, which the backend says with an empty list.
        response.putArray("allowedOps");
        response.put("isReadOnly", false);
        json(ctx, 200, response);
    }

    /** Every user table with the sorted union of its documents' field names (docs/convex-wire.md §4.3). */
    private void tableColumnNames(RoutingContext ctx) {
        requireAdmin(ctx);
        ArrayNode tables = NODES.arrayNode();
        for (var table : store.latest().userTablesByNumber()) {
            java.util.TreeSet<String> columns = new java.util.TreeSet<>(List.of("_creationTime", "_id"));
            table.documents().values().forEach(doc -> doc.fieldNames().forEachRemaining(columns::add));
            ObjectNode entry = NODES.objectNode().put("name", table.name());
            ArrayNode names = entry.putArray("columns");
            columns.forEach(names::add);
            tables.add(entry);
        }
        ObjectNode byComponent = NODES.objectNode();
        byComponent.set("", tables);
        ObjectNode response = NODES.objectNode();
        response.set("byComponent", byComponent);
        json(ctx, 200, response);
    }

    // ---- export ----------------------------------------------------------------------------------------

    private void requestExport(RoutingContext ctx) {
        requireAdmin(ctx);
        boolean includeStorage = "true".equals(ctx.request().getParam("includeStorage"));
        exports.requestExport(includeStorage);
        ctx.response().setStatusCode(200).end();
    }

    private void setExportExpiration(RoutingContext ctx) {
        requireAdmin(ctx);
        ObjectNode body = JsonBodies.object(ctx);
        JsonNode expiration = JsonBodies.required(body, "expiration_ts_ns");
        if (!expiration.canConvertToLong() || !expiration.isIntegralNumber()) {
            throw JsonBodies.deserializeError("invalid type, expected u64", ConvexValues.write(body));
        }
        exports.setExpiration(ctx.pathParam("snapshotId"), expiration.longValue());
        ctx.response().setStatusCode(200).end();
    }

    private void cancelExport(RoutingContext ctx) {
        requireAdmin(ctx);
        exports.cancel(ctx.pathParam("snapshotId"));
        ctx.response().setStatusCode(200).end();
    }

    private void downloadExport(RoutingContext ctx) {
        vertx.<ExportService.Download>executeBlocking(() -> {
            requireAdmin(ctx);
            return exports.download(ctx.pathParam("id"));
        }, false).onSuccess(download -> {
            ctx.response()
                    .putHeader("Content-Type", "application/zip")
                    .putHeader("Content-Disposition", "attachment; filename=snapshot_"
                            + adminKeys.instanceName() + "_" + download.startTs() + ".zip")
                    .putHeader("Cache-Control", "private, max-age=2592000")
                    .sendFile(download.file().toString());
        }).onFailure(failure -> fail(ctx, failure));
    }

    // ---- import -----------------------------------------------------------------------------------------

    private void startUpload(RoutingContext ctx) {
        requireAdmin(ctx);
        json(ctx, 200, NODES.objectNode().put("uploadToken", imports.startUpload()));
    }

    /** Streams the part straight to disk: import files can be far larger than memory. */
    private void uploadPart(RoutingContext ctx) {
        ctx.request().pause();
        vertx.executeBlocking(() -> {
            requireAdmin(ctx);
            return imports.partFile(ctx.request().getParam("uploadToken"), ctx.request().getParam("partNumber"));
        }, false).compose(part -> vertx.fileSystem()
                        .open(part.toString(), new OpenOptions().setWrite(true).setCreate(true).setTruncateExisting(true))
                        .compose(file -> ctx.request().pipeTo(file))
                        .map(done -> part))
                .onSuccess(part -> json(ctx, 200, NODES.textNode(ImportService.partToken(
                        ctx.request().getParam("uploadToken"), part))))
                .onFailure(failure -> fail(ctx, failure));
    }

    private void finishUpload(RoutingContext ctx) {
        requireAdmin(ctx);
        ObjectNode body = JsonBodies.object(ctx);
        JsonNode importArgs = JsonBodies.required(body, "import");
        String uploadToken = JsonBodies.requiredString(body, "uploadToken");
        JsonNode partTokens = JsonBodies.required(body, "partTokens");
        if (!importArgs.isObject() || !partTokens.isArray()) {
            throw JsonBodies.deserializeError("invalid type, expected struct FinishUploadArgs", ConvexValues.write(body));
        }
        ImportService.ImportRequest request = importRequest(
                JsonBodies.optionalString((ObjectNode) importArgs, "format"),
                JsonBodies.optionalString((ObjectNode) importArgs, "mode"),
                JsonBodies.optionalString((ObjectNode) importArgs, "tableName"), true, ConvexValues.write(body));
        String componentPath = JsonBodies.optionalString((ObjectNode) importArgs, "componentPath");
        if (componentPath != null && !componentPath.isEmpty()) {
            throw ApiException.badRequest("ComponentsNotSupported", "Cannot import into component '" + componentPath
                    + "': the Convex emulator has no components. Import without --component, into the app's own tables.");
        }
        List<String> tokens = new ArrayList<>();
        partTokens.forEach(token -> tokens.add(token.asText()));
        String importId = imports.finishUpload(request, uploadToken, tokens);
        json(ctx, 200, NODES.objectNode().put("importId", importId));
    }

    private void performImport(RoutingContext ctx) {
        requireAdmin(ctx);
        ObjectNode body = JsonBodies.object(ctx);
        imports.performImport(JsonBodies.requiredString(body, "importId"));
        ctx.response().setStatusCode(200).end();
    }

    private void cancelImport(RoutingContext ctx) {
        requireAdmin(ctx);
        ObjectNode body = JsonBodies.object(ctx);
        imports.cancelImport(JsonBodies.requiredString(body, "importId"));
        ctx.response().setStatusCode(200).end();
    }

    /** {@code POST /api/import?format=&tableName=&mode=}: the body is the file; answers once the import finished. */
    private void legacyImport(RoutingContext ctx) {
        ctx.request().pause();
        vertx.executeBlocking(() -> {
            requireAdmin(ctx);
            ImportService.ImportRequest request = importRequest(ctx.request().getParam("format"),
                    ctx.request().getParam("mode"), ctx.request().getParam("tableName"), false, "");
            return new Object[]{request, imports.newLegacyUploadFile()};
        }, false).compose(prepared -> {
            Path file = (Path) prepared[1];
            return vertx.fileSystem().open(file.toString(), new OpenOptions().setWrite(true).setCreate(true))
                    .compose(asyncFile -> ctx.request().pipeTo(asyncFile))
                    .compose(done -> vertx.executeBlocking(() -> imports.importNow(
                            (ImportService.ImportRequest) prepared[0], file), false));
        }).onSuccess(written -> json(ctx, 200, NODES.objectNode().put("numWritten", written)))
                .onFailure(failure -> fail(ctx, failure));
    }

    private static ImportService.ImportRequest importRequest(String format, String mode, String tableName,
                                                             boolean jsonBody, String body) {
        String where = jsonBody ? "Failed to deserialize the JSON body into the target type: import: " : "Failed to deserialize query string: ";
        if (format == null) {
            throw badArgs(jsonBody, where + "missing field `format`");
        }
        ImportFormat importFormat = ImportFormat.fromWireName(format).orElseThrow(() -> badArgs(jsonBody, where
                + "unknown variant `" + format + "`, expected one of `csv`, `jsonLines`, `jsonArray`, `zip`"));
        ImportMode importMode = mode == null ? ImportMode.REQUIRE_EMPTY : ImportMode.fromWireName(mode).orElseThrow(() ->
                badArgs(jsonBody, where + "unknown variant `" + mode
                        + "`, expected one of `requireEmpty`, `append`, `replace`, `replaceAll`"));
        return new ImportService.ImportRequest(importFormat, importMode, tableName);
    }

    private static ApiException badArgs(boolean jsonBody, String message) {
        return ApiException.badRequest(jsonBody ? "BadJsonBody" : "BadQueryArgs", message);
    }

    // ---- shared helpers -----------------------------------------------------------------------------------

    private AdminKeys.Credentials credentials(RoutingContext ctx) {
        return AdminKeys.extract(ctx.request().getHeader("Authorization"), ctx.request().getParam("adminKey"));
    }

    /** Admin routes check the key before anything in the body (ExtractIdentity + require_operation). */
    private Identity requireAdmin(RoutingContext ctx) {
        Identity identity = adminKeys.authenticate(credentials(ctx));
        AdminKeys.requireAdmin(identity);
        return identity;
    }

    private static FunctionPath parsePath(String path) {
        try {
            return FunctionPath.parse(path);
        } catch (FunctionPath.InvalidFunctionPathException e) {
            throw ApiException.badRequest("BadConvexFunctionIdentifier",
                    path + " is not a valid path to a Convex function. " + e.getMessage());
        }
    }

    private static void sendOutcome(RoutingContext ctx, FunctionOutcome outcome, String format) {
        json(ctx, 200, outcomeBody(outcome, format));
    }

    /** The format is checked only now, after execution, as the backend does (docs/convex-wire.md §1.3). */
    static ObjectNode outcomeBody(FunctionOutcome outcome, String format) {
        try {
            ConvexValues.toFormat(NODES.nullNode(), format);
        } catch (ConvexValues.InvalidValueException e) {
            throw ApiException.badRequest("BadFormat", e.getMessage());
        }
        ObjectNode body = NODES.objectNode();
        if (outcome instanceof FunctionOutcome.Success success) {
            body.put("status", "success");
            body.set("value", ConvexValues.toFormat(success.value(), format));
        } else {
            FunctionOutcome.Failure failure = (FunctionOutcome.Failure) outcome;
            body.put("status", "error");
            body.put("errorMessage", failure.errorMessage());
            if (failure.errorData() != null) {
                body.set("errorData", ConvexValues.toFormat(failure.errorData(), format));
            }
        }
        if (!outcome.logLines().isEmpty()) {
            ArrayNode lines = body.putArray("logLines");
            outcome.logLines().forEach(lines::add);
        }
        return body;
    }

    static String encodeTimestamp(long timestamp) {
        return Base64.getEncoder().encodeToString(
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(timestamp).array());
    }

    private static long decodeTimestamp(String encoded) {
        try {
            byte[] raw = Base64.getDecoder().decode(encoded);
            if (raw.length != 8) {
                throw new IllegalArgumentException("expected 8 bytes, got " + raw.length);
            }
            return ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong();
        } catch (IllegalArgumentException e) {
            throw ApiException.badJsonBody("Failed to deserialize the JSON body into the target type: ts: " + e.getMessage());
        }
    }

    /** {@code handler} once the request has shown an admin key. */
    private Handler<RoutingContext> adminOnly(Handler<RoutingContext> handler) {
        return ctx -> {
            requireAdmin(ctx);
            handler.handle(ctx);
        };
    }

    private void blocking(Route route, Handler<RoutingContext> handler) {
        route.blockingHandler(ctx -> {
            try {
                handler.handle(ctx);
            } catch (RuntimeException e) {
                fail(ctx, e);
            }
        }, false);
    }

    private static void fail(RoutingContext ctx, Throwable failure) {
        if (ctx.response().ended()) {
            return;
        }
        if (failure instanceof ApiException api) {
            error(ctx, api);
            return;
        }
        LOG.error("Request {} {} failed", ctx.request().method(), ctx.request().path(), failure);
        error(ctx, new ApiException(500, "InternalServerError", "Your request couldn't be completed. Try again later."));
    }

    static void error(RoutingContext ctx, ApiException error) {
        json(ctx, error.status(), NODES.objectNode().put("code", error.code()).put("message", error.getMessage()));
    }

    static void json(RoutingContext ctx, int status, JsonNode body) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(ConvexValues.write(body));
    }

    private static void text(RoutingContext ctx, String body) {
        ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end(body);
    }
}

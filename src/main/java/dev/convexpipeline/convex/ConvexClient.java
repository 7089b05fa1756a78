package dev.convexpipeline.convex;

import dev.convexpipeline.retry.RetryAfter;
import dev.convexpipeline.retry.RetryPolicy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Client for a Convex deployment's HTTP API (docs/convex-wire.md): function calls, readiness,
 * pausing, snapshot export, and the transport (retries, errors, redaction) that
 * {@link ConvexSnapshotImports} (imports) and {@link ConvexSnapshotReader} ({@code list_snapshot},
 * {@code document_deltas}) send through; this class's methods for those delegate to them. All calls
 * are authenticated with the deployment admin key.
 *
 * <p>Built on the JDK {@link HttpClient} because it streams request and response bodies with
 * back-pressure and needs no dependency, which keeps multi-gigabyte snapshots out of the heap.
 * Snapshot downloads use {@link HttpURLConnection} instead, for its lower cost per byte (see
 * {@code download}); both share the retry loop and the errors below.
 *
 * <h2>Errors and retries</h2>
 * <ul>
 *   <li>{@code "status":"error"} from a function → {@link ConvexFunctionException} (not retried: the
 *       function ran and decided to fail).</li>
 *   <li>401/403 → {@link ConvexAuthException}, never retried.</li>
 *   <li>other 4xx → {@link ConvexRequestException}, not retried.</li>
 *   <li>5xx, 429 (honouring {@code Retry-After}), timeouts and connection failures are retried
 *       with bounded exponential backoff and jitter ({@link RetryPolicy}); when the attempts run out
 *       → {@link ConvexUnavailableException}.</li>
 * </ul>
 * Mutations are retried too, although a 5xx or a lost response can mean the mutation already
 * committed: this is acceptable because every mutation the pipeline calls is idempotent by
 * contract (docs/convex-contract.md: upserts keyed by a natural id, events deduplicated by
 * {@code eventId}), so running one twice leaves the same state as running it once. Callers of a
 * non-idempotent mutation must use a client with {@link RetryPolicy#noRetries()}.
 *
 * <p>The admin key is sent only in the {@code Authorization} header; it never appears in logs,
 * exception messages or {@code toString()}, and server messages are scrubbed of it.
 *
 * <p>Thread-safe; one instance per deployment is enough.
 */
public final class ConvexClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConvexClient.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    static final String FUNCTION_FORMAT = "convex_encoded_json";
    private static final String OUT_OF_RETENTION = "OutOfRetention";
    /** The JS client also treats this status as a function error response ({@code STATUS_CODE_UDF_FAILED}). */
    private static final int STATUS_UDF_FAILED = 560;
    private static final int MAX_ERROR_BODY = 64 * 1024;
    static final Duration FIRST_POLL_DELAY = Duration.ofMillis(20);
    private static final String EXPORTS_GET_LATEST = "_system/cli/exports:getLatest";
    private static final java.util.concurrent.ConcurrentMap<String, Integer> OPEN_TRANSPORTS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final ConvexClientConfig config;
    private final String deployment;
    private final ExecutorService executor;
    private final HttpClient http;
    /** False for a {@link #withLimits view}: the client it was made from owns the connections. */
    private final boolean ownsTransport;
    private final ConvexSnapshotImports imports = new ConvexSnapshotImports(this);
    private final ConvexSnapshotReader reader = new ConvexSnapshotReader(this);

    public ConvexClient(ConvexClientConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.deployment = config.deploymentUrl().toString();
        this.ownsTransport = true;
        AtomicInteger threads = new AtomicInteger();
        // Own daemon threads so close() can release them and a forgotten client never blocks JVM exit.
        this.executor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "convex-http-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.http = HttpClient.newBuilder()
                // HTTP/1.1: plain-http deployments do not speak h2c, and the upgrade dance only adds latency.
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(executor)
                .build();
        OPEN_TRANSPORTS.merge(deployment, 1, Integer::sum);
    }

    private ConvexClient(ConvexClient shared, ConvexClientConfig config) {
        this.config = config;
        this.deployment = shared.deployment;
        this.executor = shared.executor;
        this.http = shared.http;
        this.ownsTransport = false;
    }

    /**
     * The same deployment, connections and threads, with stricter limits for one kind of caller: at
     * most {@code retries}' attempts and backoff, and responses within {@code requestTimeout} (which
     * also bounds the connect). The webhook (Stripe's delivery window) and readiness (no retries) use
     * such views, so a process keeps one connection pool per deployment. Closing a view does nothing.
     */
    public ConvexClient withLimits(RetryPolicy retries, Duration requestTimeout) {
        Duration request = min(config.requestTimeout(), requestTimeout);
        Duration connect = min(config.connectTimeout(), request);
        RetryPolicy policy = config.retryPolicy().atMost(retries.maxAttempts(), retries.maxBackoff());
        return new ConvexClient(this, config.withRetryPolicy(policy).withTimeouts(connect, request));
    }

    /** Whether this client and {@code other} send over the same connections (one is a view of the other, or both of a third). */
    public boolean sharesTransportWith(ConvexClient other) {
        return other != null && other.http == http;
    }

    /**
     * Clients open (not closed) per deployment URL in this process, views not counted: how many
     * connection pools reach each deployment.
     */
    public static int openTransports(String deploymentUrl) {
        String key = deploymentUrl.endsWith("/") ? deploymentUrl.substring(0, deploymentUrl.length() - 1) : deploymentUrl;
        return OPEN_TRANSPORTS.getOrDefault(key, 0);
    }

    public ConvexClientConfig config() {
        return config;
    }

    @Override
    public synchronized void close() {
        if (ownsTransport && !executor.isShutdown()) {
            executor.shutdownNow();
            OPEN_TRANSPORTS.computeIfPresent(deployment, (url, open) -> open <= 1 ? null : open - 1);
        }
    }

    /** The deployment URL, as errors name it. */
    String deployment() {
        return deployment;
    }

    @Override
    public String toString() {
        return "ConvexClient[" + deployment + "]";
    }

    // ---- function calls -----------------------------------------------------------------

    /** Runs a query and returns its decoded value ({@link ConvexValues} model). */
    public JsonNode query(String path, ObjectNode args) {
        return callFunction("query", path, args);
    }

    /** Runs a mutation; retried on transient failures (see the class comment on idempotency). */
    public JsonNode mutation(String path, ObjectNode args) {
        return callFunction("mutation", path, args);
    }

    /** Runs an action; retried on transient failures like mutations. */
    public JsonNode action(String path, ObjectNode args) {
        return callFunction("action", path, args);
    }

    private JsonNode callFunction(String kind, String path, ObjectNode args) {
        Objects.requireNonNull(path, "path");
        ObjectNode body = NODES.objectNode();
        body.put("path", path);
        body.set("args", ConvexValues.toEncoded(args == null ? NODES.objectNode() : args));
        body.put("format", FUNCTION_FORMAT);
        byte[] payload = ConvexValues.write(body).getBytes(StandardCharsets.UTF_8);
        Call call = Call.post("/api/" + kind, kind + " " + path, HttpRequest.BodyPublishers.ofByteArray(payload),
                "application/json").acceptingUdfFailure();
        JsonNode response = parseJson(call, execute(call, attempt -> exchange(attempt, payload), reply -> reply).body());
        String status = response.path("status").asText();
        if ("success".equals(status)) {
            return decode(call, response.get("value"));
        }
        if ("error".equals(status)) {
            JsonNode errorData = response.has("errorData") ? decode(call, response.get("errorData")) : null;
            throw new ConvexFunctionException(path, redact(response.path("errorMessage").asText("")), errorData);
        }
        throw new ConvexException(call.describe(deployment) + " returned an unexpected response without"
                + " status success/error; is " + deployment + " a Convex deployment?");
    }

    // ---- readiness ----------------------------------------------------------------------

    /** The backend's version string ({@code GET /version}); a cheap liveness probe. */
    public String version() {
        Call call = Call.get("/version", "version check");
        return new String(execute(call).body(), StandardCharsets.UTF_8).trim();
    }

    /**
     * Verifies the admin key ({@code GET /api/check_admin_key}).
     *
     * @throws ConvexAuthException when the deployment rejects the key
     */
    public AdminKeyCheck checkAdminKey() {
        Call call = Call.get("/api/check_admin_key", "admin key check");
        JsonNode response = parseJson(call, execute(call).body());
        List<String> ops = new ArrayList<>();
        response.path("allowedOps").forEach(op -> ops.add(op.asText()));
        return new AdminKeyCheck(response.path("isReadOnly").asBoolean(false), List.copyOf(ops));
    }

    /**
     * Stops user functions on the deployment ({@code POST /api/v1/pause_deployment}); exports and
     * imports keep running. Pausing a paused deployment is not an error.
     */
    public void pauseDeployment() {
        execute(Call.post("/api/v1/pause_deployment", "pause_deployment", HttpRequest.BodyPublishers.noBody(),
                "application/json"));
    }

    /** Lets user functions run again ({@code POST /api/v1/unpause_deployment}). */
    public void unpauseDeployment() {
        execute(Call.post("/api/v1/unpause_deployment", "unpause_deployment", HttpRequest.BodyPublishers.noBody(),
                "application/json"));
    }

    // ---- snapshot export ----------------------------------------------------------------

    /** The newest snapshot export, or empty if the deployment has none. */
    public Optional<ExportStatus> latestExport() {
        JsonNode value = query(EXPORTS_GET_LATEST, NODES.objectNode());
        return value == null || value.isNull() ? Optional.empty() : Optional.of(ExportStatus.fromDocument(value));
    }

    /**
     * Asks the deployment to write a ZIP snapshot ({@code POST /api/export/request/zip}).
     *
     * <p>If the answer is {@code ExportInProgress} but the export in progress was created after
     * this call began (this call's own, when a lost response was retried; or a concurrent
     * caller's), that export is awaited instead of failing: either way it is a snapshot no older
     * than this call.
     *
     * @throws ConvexExportInProgressException when an export that predates this call is still running
     */
    public PendingExport requestExport(boolean includeStorage) {
        String previous = latestExport().map(ExportStatus::id).orElse(null);
        Call call = Call.post("/api/export/request/zip?includeStorage=" + includeStorage, "snapshot export request",
                HttpRequest.BodyPublishers.noBody(), "application/json");
        try {
            execute(call);
        } catch (ConvexRequestException e) {
            if (!"ExportInProgress".equals(e.code())) {
                throw e;
            }
            Optional<ExportStatus> running = latestExport();
            if (running.isPresent() && !Objects.equals(running.get().id(), previous) && !running.get().isFinished()) {
                LOG.info("Export {} on {} started after this request began; waiting for it", running.get().id(), deployment);
                return new PendingExport(previous);
            }
            throw new ConvexExportInProgressException(deployment, e.status(), e.code(), e.serverMessage());
        }
        return new PendingExport(previous);
    }

    /**
     * Polls {@code _system/cli/exports:getLatest} until the export requested by {@code pending}
     * completes, reporting each new {@code progress_message}.
     *
     * @throws ConvexSnapshotException when the export fails, is canceled or outlives {@code timeout}
     */
    public ExportStatus awaitExport(PendingExport pending, Duration timeout, Duration pollInterval,
                                    Consumer<String> progress) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Duration delay = FIRST_POLL_DELAY;
        String lastProgress = null;
        ExportStatus status = null;
        while (true) {
            ExportStatus latest = latestExport().orElse(null);
            if (latest != null && !Objects.equals(latest.id(), pending.previousExportId())) {
                status = latest;
                if (latest.progressMessage() != null && !latest.progressMessage().equals(lastProgress)) {
                    lastProgress = latest.progressMessage();
                    progress.accept(lastProgress);
                }
                if (latest.isCompleted()) {
                    if (latest.startTs() == null) {
                        throw new ConvexSnapshotException("Snapshot export " + latest.id() + " on " + deployment
                                + " is completed but has no start_ts to download it by");
                    }
                    return latest;
                }
                if (latest.isFinished()) {
                    throw new ConvexSnapshotException("Snapshot export " + latest.id() + " on " + deployment
                            + " ended in state " + latest.state() + "; check the deployment's logs and request a new export");
                }
            }
            if (System.nanoTime() > deadline) {
                throw new ConvexSnapshotException("Snapshot export on " + deployment + " did not complete within "
                        + timeout + " (last state " + (status == null ? "not yet visible" : status.state())
                        + (lastProgress == null ? "" : ", progress '" + lastProgress + "'")
                        + "); it keeps running on the server: raise the timeout or download it later by its start_ts");
            }
            sleep(delay, "waiting for the snapshot export");
            delay = min(delay.multipliedBy(2), pollInterval);
        }
    }

    /**
     * Opens the ZIP of a completed export ({@code GET /api/export/zip/<startTs>}) as a stream read
     * straight from the socket; nothing is buffered beyond the HTTP client's small window. The caller
     * must close it. Opening is retried; a failure while reading is not, since the bytes are gone.
     */
    public InputStream openExportStream(long startTs) {
        return openExportDownload(startTs).body();
    }

    /**
     * A snapshot download: the ZIP stream, as {@link #openExportStream(long)}, and its size.
     *
     * @param body          the ZIP bytes; the caller must close it
     * @param contentLength the response's {@code Content-Length}, or -1 when the server sent none
     */
    public record ExportDownload(InputStream body, long contentLength) {
    }

    /** As {@link #openExportStream(long)}, also returning the {@code Content-Length} Convex sends with the ZIP. */
    public ExportDownload openExportDownload(long startTs) {
        Call call = Call.get("/api/export/zip/" + startTs, "snapshot download " + startTs);
        Reply<InputStream> response = execute(call, this::download, ConvexClient::readErrorBody);
        return new ExportDownload(response.body(), response.header("Content-Length").map(Long::parseLong).orElse(-1L));
    }

    /**
     * Requests a snapshot, waits for it and copies the ZIP to {@code out} (which stays open).
     */
    public ExportResult exportSnapshot(OutputStream out, ExportOptions options) {
        PendingExport pending = requestExport(options.includeStorage());
        ExportStatus done = awaitExport(pending, options.timeout(), options.pollInterval(), options.progress());
        long bytes;
        try (InputStream zip = openExportStream(done.startTs())) {
            bytes = zip.transferTo(out);
        } catch (IOException e) {
            throw new ConvexException("Downloading snapshot " + done.startTs() + " from " + deployment
                    + " broke off: " + e + "; request the download again with openExportStream(" + done.startTs() + ")", e);
        }
        return new ExportResult(done.startTs(), bytes);
    }

    // ---- snapshot import (ConvexSnapshotImports) -------------------------------------------

    /**
     * Imports {@code source} (read to its end, not closed) the way {@code npx convex import} does:
     * multipart upload in parts of {@link ImportOptions#partSize()} bytes read into one reused
     * buffer, so memory stays bounded by the part size; then polling until the import completes. An
     * import that would delete existing documents is performed only with
     * {@link ImportOptions#confirmDeletes()}.
     *
     * @throws ConvexSnapshotException when the import fails, needs unconfirmed deletes or times out
     */
    public ImportResult importSnapshot(InputStream source, ImportOptions options) {
        return imports.importSnapshot(source, options);
    }

    /**
     * Uploads an import without starting it (start_upload, parts, finish_upload); nothing is applied
     * until {@link #awaitImport} confirms it, so the returned id can be recorded first.
     *
     * @param partSent called after each part with the bytes sent so far
     * @return the {@code _snapshot_imports} id
     */
    public String uploadImport(InputStream source, ImportOptions options, java.util.function.LongConsumer partSent) {
        return imports.uploadImport(source, options, partSent);
    }

    /** The {@code state} object of an import ({@code uploaded}, {@code waiting_for_confirmation}, …), or empty if unknown. */
    public Optional<JsonNode> importState(String importId) {
        return imports.importState(importId);
    }

    /** Polls an uploaded import until it completes, confirming deletes only if the options allow it. */
    public ImportResult awaitImport(String importId, ImportOptions options) {
        return imports.awaitImport(importId, options);
    }

    /** Confirms an import that is waiting for confirmation ({@code POST /api/perform_import}). */
    public void performImport(String importId) {
        imports.performImport(importId);
    }

    /** Cancels an import that has not completed ({@code POST /api/cancel_import}). */
    public void cancelImport(String importId) {
        imports.cancelImport(importId);
    }

    // ---- list_snapshot and document_deltas (ConvexSnapshotReader) ---------------------------

    /**
     * One page of {@code POST /api/list_snapshot}.
     *
     * @param tableName only this table, or {@code null} for all tables
     * @param snapshot  {@code null} on the first call, then the previous page's snapshot
     * @param cursor    {@code null} on the first call, then the previous page's cursor
     */
    public SnapshotPage listSnapshotPage(String tableName, Long snapshot, String cursor) {
        return reader.listSnapshotPage(tableName, snapshot, cursor);
    }

    /** Every document of a table (or of all tables when null) at one pinned snapshot, paged as it advances. */
    public Iterator<SnapshotDocument> iterateSnapshot(String tableName) {
        return reader.iterateSnapshot(tableName);
    }

    /** {@link #iterateSnapshot} as a sequential, lazily paged stream. */
    public Stream<SnapshotDocument> listSnapshot(String tableName) {
        return reader.listSnapshot(tableName);
    }

    /**
     * One page of {@code POST /api/document_deltas}: every user-table change committed after
     * {@code cursor} (ns, exclusive), oldest first.
     *
     * @throws ConvexOutOfRetentionException when the deployment no longer keeps changes that old
     */
    public DocumentDeltasPage documentDeltasPage(long cursor) {
        return reader.documentDeltasPage(cursor);
    }

    // ---- HTTP core ----------------------------------------------------------------------

    /** One logical request; {@code operation} names it in errors, e.g. {@code query users:list}. */
    record Call(String method, String pathAndQuery, String operation, HttpRequest.BodyPublisher body,
                        String contentType, boolean udfFailureIsResponse) {
        static Call get(String pathAndQuery, String operation) {
            return new Call("GET", pathAndQuery, operation, HttpRequest.BodyPublishers.noBody(), null, false);
        }

        static Call post(String pathAndQuery, String operation, HttpRequest.BodyPublisher body, String contentType) {
            return new Call("POST", pathAndQuery, operation, body, contentType, false);
        }

        Call acceptingUdfFailure() {
            return new Call(method, pathAndQuery, operation, body, contentType, true);
        }

        String describe(String deployment) {
            return operation + " (" + method + " " + deployment + pathWithoutQuery() + ")";
        }

        String pathWithoutQuery() {
            int q = pathAndQuery.indexOf('?');
            return q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
        }
    }

    /** A response's status, body and headers, whichever HTTP client fetched it. */
    record Reply<T>(int status, T body, Function<String, Optional<String>> headers) {
        Optional<String> header(String name) {
            return headers.apply(name);
        }
    }

    /** Sends one attempt of a call. */
    @FunctionalInterface
    private interface Sender<T> {
        Reply<T> send(Call call) throws IOException, InterruptedException;
    }

    Reply<byte[]> execute(Call call) {
        return execute(call, attempt -> {
            HttpResponse<byte[]> response = http.send(request(attempt), HttpResponse.BodyHandlers.ofByteArray());
            return new Reply<>(response.statusCode(), response.body(), name -> response.headers().firstValue(name));
        }, body -> body);
    }

    /**
     * Opens a snapshot download with {@link HttpURLConnection}, which reads the socket straight into
     * the caller's buffer. The JDK {@link HttpClient}'s reactive body pipeline copies and allocates
     * every 16 KiB on its own threads: measured here at 1.3-2.5 CPU s per GB of snapshot against
     * 0.2-0.65, which on a small machine was a tenth of a backup's CPU.
     */
    private Reply<InputStream> download(Call call) throws IOException {
        HttpURLConnection connection = open(call);
        int status = connection.getResponseCode();
        InputStream body = status / 100 == 2 ? downloadBody(connection.getInputStream(), call)
                : connection.getErrorStream();
        return new Reply<>(status, body == null ? InputStream.nullInputStream() : body,
                name -> Optional.ofNullable(connection.getHeaderField(name)));
    }

    /**
     * One function call, sent and answered on the calling thread. The JDK {@link HttpClient} hands a
     * synchronous send to its executor, its selector thread and its executor again before the caller
     * wakes; on a busy two-core machine each hand-off can wait a scheduler tick, which was most of the
     * webhook's tail latency (docs/webhook-latency.md). The JDK keeps the connection alive between calls.
     */
    private Reply<byte[]> exchange(Call call, byte[] payload) throws IOException {
        HttpURLConnection connection = open(call);
        // Not in streaming mode: then a 401's error body (the reason) would be dropped.
        connection.setDoOutput(true);
        try (OutputStream out = connection.getOutputStream()) {
            out.write(payload);
        }
        int status = connection.getResponseCode();
        byte[] body;
        try (InputStream in = status < 400 ? connection.getInputStream() : connection.getErrorStream()) {
            // Read to the end and closed: only then is the connection reused.
            body = in == null ? new byte[0] : in.readAllBytes();
        }
        return new Reply<>(status, body, name -> Optional.ofNullable(connection.getHeaderField(name)));
    }

    /** A connection for {@code call} with its headers; the read timeout applies to each read. */
    private HttpURLConnection open(Call call) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) URI.create(deployment + call.pathAndQuery()).toURL()
                .openConnection(Proxy.NO_PROXY);
        connection.setRequestMethod(call.method());
        connection.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()));
        // Per read: a download that stalls this long fails instead of hanging.
        connection.setReadTimeout((int) Math.min(Integer.MAX_VALUE, config.requestTimeout().toMillis()));
        connection.setInstanceFollowRedirects(false);
        connection.setUseCaches(false);
        headers(call).forEach(connection::setRequestProperty);
        return connection;
    }

    /** The body of a download, whose read timeout says it was the download that went quiet, and for how long. */
    private InputStream downloadBody(InputStream body, Call call) {
        long timeoutMs = config.requestTimeout().toMillis();
        String what = call.describe(deployment);
        return new java.io.FilterInputStream(body) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (java.net.SocketTimeoutException e) {
                    throw quiet(e);
                }
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                try {
                    return super.read(buffer, offset, length);
                } catch (java.net.SocketTimeoutException e) {
                    throw quiet(e);
                }
            }

            private IOException quiet(java.net.SocketTimeoutException e) {
                return new java.net.SocketTimeoutException(what + " sent nothing for " + timeoutMs
                        + " ms: the snapshot download timed out (convex.request-timeout-ms, CONVEX_REQUEST_TIMEOUT_MS)");
            }
        };
    }

    /**
     * Sends {@code call}, retrying transient failures per the {@link RetryPolicy}, and returns the
     * first 2xx response (or a 560 function failure where that is a valid function response).
     */
    private <T> Reply<T> execute(Call call, Sender<T> sender, Function<T, byte[]> errorBody) {
        RetryPolicy policy = config.retryPolicy();
        Throwable lastCause = null;
        for (int attempt = 1; ; attempt++) {
            Duration retryAfter = null;
            try {
                Reply<T> response = sender.send(call);
                int status = response.status();
                if (status / 100 == 2 || (call.udfFailureIsResponse() && status == STATUS_UDF_FAILED)) {
                    return response;
                }
                ServerError error = ServerError.parse(status, errorBody.apply(response.body()));
                String message = redact(error.message());
                if (status == 401 || status == 403) {
                    throw new ConvexAuthException(call.describe(deployment), status, error.code(), message);
                }
                if (OUT_OF_RETENTION.equals(error.code())) {
                    // The deployment no longer has what was asked for; asking again cannot bring it back.
                    throw new ConvexOutOfRetentionException(call.describe(deployment), status, message);
                }
                if (status != 429 && status < 500) {
                    throw new ConvexRequestException(call.describe(deployment), status, error.code(), message);
                }
                retryAfter = response.header("Retry-After").flatMap(RetryAfter::parse).orElse(null);
                lastCause = new ConvexException("HTTP " + status + " " + error.code() + ": " + message);
            } catch (IOException e) {
                // Timeouts (HttpTimeoutException), refused connections (ConnectException) and resets:
                // the request may never have reached the deployment, so another attempt can succeed.
                lastCause = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConvexException(call.describe(deployment) + " was interrupted", e);
            }
            if (!policy.allowsAttemptAfter(attempt)) {
                throw new ConvexUnavailableException("Convex deployment " + deployment + " is unavailable: "
                        + call.describe(deployment) + " failed after " + attempt + " attempt(s); last error: "
                        + redact(String.valueOf(lastCause)) + ". Check that the deployment is running and reachable.",
                        attempt, lastCause);
            }
            Duration delay = policy.delayBefore(attempt + 1, retryAfter);
            LOG.warn("{} failed (attempt {}/{}: {}); retrying in {} ms", call.describe(deployment), attempt,
                    policy.maxAttempts(), redact(String.valueOf(lastCause)), delay.toMillis());
            sleep(delay, call.describe(deployment));
        }
    }

    private HttpRequest request(Call call) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(deployment + call.pathAndQuery()))
                .timeout(config.requestTimeout())
                .method(call.method(), call.body());
        headers(call).forEach(builder::header);
        return builder.build();
    }

    /** The headers every call sends, whichever HTTP client sends it. */
    private Map<String, String> headers(Call call) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Convex " + config.adminKey());
        headers.put("Convex-Client", config.clientName());
        if (call.contentType() != null) {
            headers.put("Content-Type", call.contentType());
        }
        return headers;
    }

    /** {@code {"code","message"}} from an error response, or the raw text when it is not JSON. */
    private record ServerError(String code, String message) {
        static ServerError parse(int status, byte[] body) {
            String text = body == null ? "" : new String(body, StandardCharsets.UTF_8).trim();
            try {
                JsonNode json = ConvexValues.MAPPER.readTree(text);
                if (json != null && json.isObject() && json.has("code")) {
                    return new ServerError(json.path("code").asText(), json.path("message").asText(""));
                }
            } catch (IOException notJson) {
                // fall through: proxies and load balancers answer with HTML or plain text
            }
            String shortened = text.length() > 300 ? text.substring(0, 300) + "…" : text;
            return new ServerError("HTTP" + status, shortened.isEmpty() ? "(empty body)" : shortened);
        }
    }

    private static byte[] readErrorBody(InputStream body) {
        try (body) {
            return body.readNBytes(MAX_ERROR_BODY);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    // ---- helpers ------------------------------------------------------------------------

    /** Scrubs the admin key from text that came from elsewhere (server messages, exception texts). */
    String redact(String text) {
        if (text == null) {
            return null;
        }
        return text.replace(config.adminKey(), "<redacted>");
    }

    JsonNode parseJson(Call call, byte[] body) {
        try {
            JsonNode json = ConvexValues.MAPPER.readTree(body);
            if (json == null) {
                throw new ConvexException(call.describe(deployment) + " returned an empty body where JSON was expected");
            }
            return json;
        } catch (IOException e) {
            throw new ConvexException(call.describe(deployment) + " returned a body that is not JSON: " + e.getMessage(), e);
        }
    }

    JsonNode decode(Call call, JsonNode encoded) {
        try {
            return ConvexValues.fromEncoded(encoded);
        } catch (ConvexValues.InvalidValueException e) {
            throw new ConvexException(call.describe(deployment) + " returned a value that is not valid encoded JSON: "
                    + e.getMessage(), e);
        }
    }

    static HttpRequest.BodyPublisher json(JsonNode body) {
        return HttpRequest.BodyPublishers.ofString(ConvexValues.write(body), StandardCharsets.UTF_8);
    }

    static String urlEncode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    static int readFully(InputStream source, byte[] buffer) {
        try {
            return source.readNBytes(buffer, 0, buffer.length);
        } catch (IOException e) {
            throw new ConvexException("Reading the import source failed: " + e.getMessage(), e);
        }
    }

    static boolean hasUtf8Bom(byte[] buffer, int length) {
        return length >= 3 && (buffer[0] & 0xff) == 0xEF && (buffer[1] & 0xff) == 0xBB && (buffer[2] & 0xff) == 0xBF;
    }

    static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    static void sleep(Duration delay, String what) {
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConvexException("Interrupted while " + what, e);
        }
    }
}

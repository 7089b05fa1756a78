package dev.convexpipeline.emulator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.functions.FunctionKind;
import dev.convexpipeline.emulator.functions.FunctionOutcome;
import dev.convexpipeline.emulator.functions.FunctionPath;
import dev.convexpipeline.emulator.functions.FunctionRunner;
import dev.convexpipeline.emulator.functions.Identity;
import dev.convexpipeline.emulator.store.DatabaseSnapshot;
import dev.convexpipeline.emulator.store.DocumentStore;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The subset of Convex's WebSocket sync protocol the official CLI uses (docs/convex-wire.md §5.3):
 * Connect / Authenticate / ModifyQuerySet in, Transition / Ping / AuthError out. Subscribed
 * queries are re-run after every commit and pushed when their result changes.
 */
public final class SyncSocketHandler {
    private static final Logger LOG = LoggerFactory.getLogger(SyncSocketHandler.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final long PING_AFTER_IDLE_MILLIS = 15_000;

    private final Vertx vertx;
    private final DocumentStore store;
    private final FunctionRunner runner;
    private final AdminKeys adminKeys;
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();

    SyncSocketHandler(Vertx vertx, DocumentStore store, FunctionRunner runner, AdminKeys adminKeys) {
        this.vertx = vertx;
        this.store = store;
        this.runner = runner;
        this.adminKeys = adminKeys;
    }

    void upgrade(RoutingContext ctx) {
        String upgrade = ctx.request().getHeader("Upgrade");
        if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
            EmulatorRoutes.error(ctx, ApiException.badRequest("BadWebSocketRequest",
                    "Expected a WebSocket upgrade request for the sync protocol"));
            return;
        }
        ctx.request().toWebSocket().onSuccess(socket -> new Session(socket).start())
                .onFailure(failure -> LOG.warn("WebSocket upgrade failed: {}", failure.toString()));
    }

    public void closeAll() {
        sessions.forEach(session -> session.socket.close());
    }

    private record Subscription(FunctionPath path, String udfPath, JsonNode args, String componentPath) {
    }

    private final class Session {
        private final ServerWebSocket socket;
        private final Context context;
        private final Map<Integer, Subscription> queries = new TreeMap<>();
        private final Map<Integer, String> lastResults = new TreeMap<>();
        private Identity identity = Identity.UNKNOWN;
        private int querySetVersion;
        private int identityVersion;
        private ObjectNode sentVersion = version(0, 0, 0);
        private long lastTimestamp;
        private volatile long lastSentMillis = System.currentTimeMillis();
        private Runnable unsubscribe = () -> { };
        private long pingTimer;
        private volatile boolean closed;

        Session(ServerWebSocket socket) {
            this.socket = socket;
            this.context = vertx.getOrCreateContext();
        }

        void start() {
            sessions.add(this);
            unsubscribe = store.onCommit(snapshot -> {
                if (!closed) {
                    serially(() -> refresh(snapshot));
                }
            });
            pingTimer = vertx.setPeriodic(5_000, id -> {
                if (System.currentTimeMillis() - lastSentMillis >= PING_AFTER_IDLE_MILLIS) {
                    send(NODES.objectNode().put("type", "Ping"));
                }
            });
            socket.textMessageHandler(text -> serially(() -> onMessage(text)));
            socket.closeHandler(ignored -> {
                closed = true;
                sessions.remove(this);
                unsubscribe.run();
                vertx.cancelTimer(pingTimer);
            });
            socket.exceptionHandler(failure -> LOG.debug("Sync socket error: {}", failure.toString()));
        }

        /** Messages and commit notifications are handled one at a time, in arrival order, off the event loop. */
        private void serially(Runnable work) {
            context.executeBlocking(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    LOG.warn("Sync session failed: {}", e.toString());
                    send(NODES.objectNode().put("type", "FatalError").put("error", e.getMessage()));
                    socket.close();
                }
                return null;
            }, true);
        }

        private void onMessage(String text) {
            JsonNode message = ConvexValues.parse(text);
            switch (message.path("type").asText()) {
                case "Connect", "Event" -> {
                    // Nothing to do: the session state starts empty, and events are debug-only.
                }
                case "Authenticate" -> authenticate(message);
                case "ModifyQuerySet" -> modifyQuerySet(message);
                default -> LOG.debug("Ignoring sync message of type {}", message.path("type").asText());
            }
        }

        private void authenticate(JsonNode message) {
            int baseVersion = message.path("baseVersion").asInt();
            String tokenType = message.path("tokenType").asText();
            if (tokenType.equals("Admin") && !adminKeys.accepts(message.path("value").asText())) {
                send(NODES.objectNode().put("type", "AuthError")
                        .put("error", AdminKeys.badAdminKey().getMessage())
                        .put("baseVersion", baseVersion).put("authUpdateAttempted", true));
                return;
            }
            if (tokenType.equals("User")) {
                send(NODES.objectNode().put("type", "AuthError")
                        .put("error", "No auth provider found matching the given token")
                        .put("baseVersion", baseVersion).put("authUpdateAttempted", true));
                return;
            }
            identity = tokenType.equals("Admin") ? Identity.ADMIN : Identity.UNKNOWN;
            identityVersion = baseVersion + 1;
            transition(store.latest(), true);
        }

        private void modifyQuerySet(JsonNode message) {
            int baseVersion = message.path("baseVersion").asInt();
            if (baseVersion != querySetVersion) {
                throw new IllegalStateException("ModifyQuerySet baseVersion " + baseVersion
                        + " does not match the server's query set version " + querySetVersion);
            }
            ArrayNode removed = NODES.arrayNode();
            for (JsonNode modification : message.path("modifications")) {
                int queryId = modification.path("queryId").asInt();
                if (modification.path("type").asText().equals("Add")) {
                    String udfPath = modification.path("udfPath").asText();
                    FunctionPath path;
                    try {
                        path = FunctionPath.parse(udfPath);
                    } catch (FunctionPath.InvalidFunctionPathException e) {
                        path = null;
                    }
                    queries.put(queryId, new Subscription(path, udfPath, modification.path("args"),
                            modification.path("componentPath").asText("")));
                } else if (modification.path("type").asText().equals("Remove")) {
                    queries.remove(queryId);
                    lastResults.remove(queryId);
                    removed.add(NODES.objectNode().put("type", "QueryRemoved").put("queryId", queryId));
                }
            }
            querySetVersion = message.path("newVersion").asInt();
            transition(store.latest(), true, removed);
        }

        private void refresh(DatabaseSnapshot snapshot) {
            if (!queries.isEmpty()) {
                transition(snapshot, false);
            }
        }

        private void transition(DatabaseSnapshot snapshot, boolean versionChanged) {
            transition(snapshot, versionChanged, NODES.arrayNode());
        }

        /** Re-runs every query; sends a Transition when versions moved or any result changed. */
        private void transition(DatabaseSnapshot snapshot, boolean versionChanged, ArrayNode modifications) {
            for (Map.Entry<Integer, Subscription> query : queries.entrySet()) {
                ObjectNode update = run(query.getKey(), query.getValue(), snapshot);
                // Failures carry a fresh request id each run; compare without it so only real changes are pushed.
                String rendered = ConvexValues.write(update).replaceAll("\\[Request ID: [0-9a-f]+\\]", "");
                if (!Objects.equals(lastResults.get(query.getKey()), rendered)) {
                    lastResults.put(query.getKey(), rendered);
                    modifications.add(update);
                }
            }
            if (!versionChanged && modifications.isEmpty()) {
                return;
            }
            lastTimestamp = Math.max(lastTimestamp, snapshot.timestamp());
            ObjectNode endVersion = version(querySetVersion, identityVersion, lastTimestamp);
            ObjectNode transition = NODES.objectNode().put("type", "Transition");
            transition.set("startVersion", sentVersion);
            transition.set("endVersion", endVersion);
            transition.set("modifications", modifications);
            sentVersion = endVersion;
            send(transition);
        }

        private ObjectNode run(int queryId, Subscription subscription, DatabaseSnapshot snapshot) {
            FunctionOutcome outcome;
            if (subscription.path() == null) {
                outcome = new FunctionOutcome.Failure("Invalid function path " + subscription.udfPath(), null, java.util.List.of());
            } else if (!subscription.componentPath().isEmpty()) {
                // Answering from the app's own tables would show the wrong data as the component's.
                outcome = FunctionOutcome.componentNotFound(subscription.componentPath());
            } else {
                outcome = runner.call(new FunctionRunner.Call(subscription.path(), FunctionKind.QUERY,
                        FunctionRunner.Route.PUBLIC_API, identity, subscription.args(), snapshot));
            }
            ObjectNode update = NODES.objectNode();
            if (outcome instanceof FunctionOutcome.Success success) {
                update.put("type", "QueryUpdated").put("queryId", queryId);
                update.set("value", ConvexValues.toEncoded(success.value()));
            } else {
                FunctionOutcome.Failure failure = (FunctionOutcome.Failure) outcome;
                update.put("type", "QueryFailed").put("queryId", queryId).put("errorMessage", failure.errorMessage());
                if (failure.errorData() != null) {
                    update.set("errorData", ConvexValues.toEncoded(failure.errorData()));
                }
            }
            ArrayNode logLines = update.putArray("logLines");
            outcome.logLines().forEach(logLines::add);
            update.putNull("journal");
            return update;
        }

        private void send(ObjectNode message) {
            if (closed) {
                return;
            }
            lastSentMillis = System.currentTimeMillis();
            socket.writeTextMessage(ConvexValues.write(message));
        }

        private ObjectNode version(int querySet, int identityVersion, long timestamp) {
            ObjectNode version = NODES.objectNode().put("querySet", querySet).put("identity", identityVersion);
            version.put("ts", EmulatorRoutes.encodeTimestamp(timestamp));
            return version;
        }
    }
}

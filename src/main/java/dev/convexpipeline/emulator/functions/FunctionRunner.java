package dev.convexpipeline.emulator.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.store.DatabaseReader;
import dev.convexpipeline.emulator.store.DatabaseSnapshot;
import dev.convexpipeline.emulator.store.DocumentStore;
import dev.convexpipeline.emulator.store.StoredTable;

import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Resolves, authorizes and executes function calls, turning every failure into the error body a
 * real backend sends (docs/convex-wire.md §1.4, §7): mutations run as one serializable transaction,
 * queries on one snapshot.
 */
public final class FunctionRunner {

    private final FunctionRegistry registry;
    private final DocumentStore store;
    private final DeploymentState deploymentState = new DeploymentState();

    public FunctionRunner(FunctionRegistry registry, DocumentStore store) {
        this.registry = registry;
        this.store = store;
    }

    /** How the call arrived, which decides lookup messages: the public API or run/function (any visibility). */
    public enum Route { PUBLIC_API, ANY_FUNCTION }

    /**
     * One call. {@code expectedKind} is null on routes that accept any kind; {@code snapshot} is null
     * to read the latest state; {@code rawArgs} is the request's encoded-JSON {@code args}.
     */
    public record Call(FunctionPath path, FunctionKind expectedKind, Route route, Identity identity,
                       JsonNode rawArgs, DatabaseSnapshot snapshot) {
    }

    public DeploymentState deploymentState() {
        return deploymentState;
    }

    public FunctionOutcome call(Call call) {
        String requestId = newRequestId();
        if (deploymentState.paused() && !call.path().isSystem()) {
            return failure(requestId, DeploymentState.PAUSED_ERROR_MESSAGE, null, List.of());
        }
        Optional<RegisteredFunction> found = resolve(call.path(), call.identity());
        if (found.isEmpty()) {
            String message = call.route() == Route.PUBLIC_API
                    ? "Could not find public function for '" + call.path() + "'."
                    : "Could not find function for '" + call.path() + "'. Did you forget to run `npx convex dev`?";
            return failure(requestId, message, null, List.of());
        }
        RegisteredFunction function = found.get();
        if (call.expectedKind() != null && call.expectedKind() != function.kind()) {
            // The source prints the canonical path here (CanonicalizedUdfPath's Display), so "users.js:list".
            return failure(requestId, "Trying to execute " + call.path().canonical() + " as " + call.expectedKind().displayName()
                    + ", but it is defined as " + function.kind().displayName() + ".", null, List.of());
        }
        ObjectNode args;
        try {
            args = decodeArgs(call.rawArgs());
        } catch (RuntimeException e) {
            return failure(requestId, "ArgumentValidationError: " + e.getMessage(), null, List.of());
        }
        FunctionContext[] contextHolder = new FunctionContext[1];
        try {
            JsonNode value = execute(function, args, call.identity(), call.snapshot(), contextHolder);
            return new FunctionOutcome.Success(value, List.copyOf(contextHolder[0].logLines()));
        } catch (ConvexError e) {
            return failure(requestId, "Uncaught ConvexError: " + e.getMessage() + frame(function),
                    e.data(), logs(contextHolder));
        } catch (ArgumentValidationError e) {
            return failure(requestId, "ArgumentValidationError: " + e.getMessage(), null, logs(contextHolder));
        } catch (RuntimeException e) {
            return failure(requestId, "Uncaught Error: " + e.getMessage() + frame(function), null, logs(contextHolder));
        }
    }

    /** Runs a function from inside an action; failures propagate as exceptions. */
    JsonNode runNested(FunctionKind kind, String path, ObjectNode args, Identity identity) {
        FunctionPath parsed = FunctionPath.parse(path);
        RegisteredFunction function = resolve(parsed, identity)
                .orElseThrow(() -> new IllegalArgumentException("Could not find function for '" + parsed + "'"));
        if (function.kind() != kind) {
            throw new IllegalArgumentException("Trying to execute " + parsed.canonical() + " as " + kind.displayName()
                    + ", but it is defined as " + function.kind().displayName() + ".");
        }
        return execute(function, args, identity, null, new FunctionContext[1]);
    }

    private JsonNode execute(RegisteredFunction function, ObjectNode args, Identity identity,
                             DatabaseSnapshot snapshot, FunctionContext[] contextHolder) {
        switch (function.kind()) {
            case QUERY -> {
                DatabaseSnapshot readAt = snapshot != null ? snapshot : store.latest();
                FunctionContext context = new FunctionContext(FunctionContext.readOnly(reader(readAt)), identity, this);
                contextHolder[0] = context;
                return function.body().run(context, args);
            }
            case MUTATION -> {
                return store.write(transaction -> {
                    FunctionContext context = new FunctionContext(transaction, identity, this);
                    contextHolder[0] = context;
                    return function.body().run(context, args);
                }).result();
            }
            default -> {
                FunctionContext context = new FunctionContext(null, identity, this);
                contextHolder[0] = context;
                return function.body().run(context, args);
            }
        }
    }

    private Optional<RegisteredFunction> resolve(FunctionPath path, Identity identity) {
        if (path.isSystem() && !identity.isAdmin()) {
            return Optional.empty();
        }
        return registry.find(path).filter(function -> !function.internal() || identity.isAdmin());
    }

    /** Args arrive as {@code {...}} or the legacy positional {@code [{...}]}. */
    private static ObjectNode decodeArgs(JsonNode raw) {
        JsonNode args = raw == null || raw.isNull() || raw.isMissingNode() ? JsonNodeFactory.instance.objectNode() : raw;
        if (args.isArray()) {
            if (args.isEmpty()) {
                return JsonNodeFactory.instance.objectNode();
            }
            if (args.size() != 1) {
                throw new IllegalArgumentException("Expected one argument object, got " + args.size() + " arguments");
            }
            args = args.get(0);
        }
        JsonNode decoded = ConvexValues.fromEncoded(args);
        if (!decoded.isObject()) {
            throw new IllegalArgumentException("Arguments must be an object, got " + ConvexValues.write(args));
        }
        return (ObjectNode) decoded;
    }

    private static DatabaseReader reader(DatabaseSnapshot snapshot) {
        return new DatabaseReader() {
            @Override
            public ObjectNode get(String id) {
                return snapshot.get(id).orElse(null);
            }

            @Override
            public java.util.Set<String> tableNames() {
                java.util.Set<String> names = new java.util.TreeSet<>();
                snapshot.tables().forEach(table -> names.add(table.name()));
                return names;
            }

            @Override
            public List<ObjectNode> query(String table) {
                return snapshot.documents(table);
            }

            @Override
            public List<ObjectNode> queryByIndex(String table, String field, JsonNode value) {
                return snapshot.table(table).map(t -> t.findEqual(field, value)).orElse(List.of());
            }

            @Override
            public List<ObjectNode> queryBelow(String table, String field, double bound, int limit) {
                return snapshot.table(table).map(t -> t.findNumberBelow(field, bound, limit)).orElse(List.of());
            }

            @Override
            public int count(String table) {
                return snapshot.table(table).map(StoredTable::size).orElse(0);
            }
        };
    }

    private static List<String> logs(FunctionContext[] holder) {
        return holder[0] == null ? List.of() : List.copyOf(holder[0].logLines());
    }

    private static String frame(RegisteredFunction function) {
        return "\n    at handler (../convex/" + function.path().module() + ".ts)";
    }

    private static FunctionOutcome failure(String requestId, String message, JsonNode errorData, List<String> logLines) {
        return new FunctionOutcome.Failure("[Request ID: " + requestId + "] Server Error\n" + message + "\n",
                errorData, logLines);
    }

    private static String newRequestId() {
        // An identifier for error messages, not a secret: no need for a (synchronized) SecureRandom.
        return HexFormat.of().toHexDigits(java.util.concurrent.ThreadLocalRandom.current().nextLong());
    }
}

package dev.convexpipeline.emulator.functions;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The deployed functions, by canonical path. */
public final class FunctionRegistry {
    private final Map<FunctionPath, RegisteredFunction> functions = new ConcurrentHashMap<>();

    public FunctionRegistry query(String path, ConvexFunction body) {
        return register(path, FunctionKind.QUERY, false, body);
    }

    public FunctionRegistry internalQuery(String path, ConvexFunction body) {
        return register(path, FunctionKind.QUERY, true, body);
    }

    public FunctionRegistry mutation(String path, ConvexFunction body) {
        return register(path, FunctionKind.MUTATION, false, body);
    }

    public FunctionRegistry internalMutation(String path, ConvexFunction body) {
        return register(path, FunctionKind.MUTATION, true, body);
    }

    public FunctionRegistry action(String path, ConvexFunction body) {
        return register(path, FunctionKind.ACTION, false, body);
    }

    public FunctionRegistry register(String path, FunctionKind kind, boolean internal, ConvexFunction body) {
        FunctionPath parsed = FunctionPath.parse(path);
        functions.put(parsed, new RegisteredFunction(parsed, kind, internal, body));
        return this;
    }

    public java.util.Collection<RegisteredFunction> all() {
        return java.util.List.copyOf(functions.values());
    }

    public Optional<RegisteredFunction> find(FunctionPath path) {
        return Optional.ofNullable(functions.get(path));
    }
}

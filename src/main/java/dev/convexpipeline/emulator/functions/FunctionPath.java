package dev.convexpipeline.emulator.functions;

import java.util.regex.Pattern;

/**
 * A canonical function path {@code module/path:exportName}. Parsing follows Convex's
 * canonicalization: a {@code .js} module suffix is dropped and a missing export means {@code default}.
 */
public record FunctionPath(String module, String functionName) {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_$][a-zA-Z0-9_$]*");
    private static final Pattern MODULE_SEGMENT = Pattern.compile("[a-zA-Z0-9_.\\-]+");

    /** Thrown for a path that is not a valid function path; the message is Convex's reason text. */
    public static final class InvalidFunctionPathException extends IllegalArgumentException {
        public InvalidFunctionPathException(String message) {
            super(message);
        }
    }

    public static FunctionPath parse(String path) {
        if (path == null || path.isEmpty()) {
            throw new InvalidFunctionPathException("Function path cannot be empty");
        }
        String module = path;
        String function = "default";
        int colon = path.indexOf(':');
        if (colon >= 0) {
            if (path.indexOf(':', colon + 1) >= 0) {
                throw new InvalidFunctionPathException("Function path contains more than one ':'");
            }
            module = path.substring(0, colon);
            function = path.substring(colon + 1);
        }
        if (module.endsWith(".js")) {
            module = module.substring(0, module.length() - 3);
        }
        if (module.isEmpty()) {
            throw new InvalidFunctionPathException("Module path cannot be empty");
        }
        if (module.startsWith("/") || module.endsWith("/")) {
            throw new InvalidFunctionPathException("Module path cannot start or end with '/'");
        }
        for (String segment : module.split("/", -1)) {
            if (!MODULE_SEGMENT.matcher(segment).matches() || segment.equals("..") || segment.equals(".")) {
                throw new InvalidFunctionPathException("Path component \"" + segment + "\" is not valid");
            }
        }
        if (!IDENTIFIER.matcher(function).matches()) {
            throw new InvalidFunctionPathException("Function name \"" + function + "\" is not a valid identifier");
        }
        return new FunctionPath(module, function);
    }

    public boolean isSystem() {
        return module.startsWith("_system/");
    }

    /** {@code module:function}, the form Convex prints in messages. */
    @Override
    public String toString() {
        return module + ":" + functionName;
    }
}

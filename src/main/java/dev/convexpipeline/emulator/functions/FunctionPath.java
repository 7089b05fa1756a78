package dev.convexpipeline.emulator.functions;

/**
 * A canonical function path {@code module/path:exportName}. Parsing follows Convex's
 * canonicalization: a {@code .js} module suffix is dropped and a missing export means {@code default}.
 */
public record FunctionPath(String module, String functionName) {
    private static final int MAX_IDENTIFIER_LENGTH = 64;

    /** Thrown for a path that is not a valid function path; the message is Convex's reason text. */
    public static final class InvalidFunctionPathException extends IllegalArgumentException {
        public InvalidFunctionPathException(String message) {
            super(message);
        }
    }

    /** Parses like sync_types' {@code UdfPath}: split at the last {@code :}, then check module and name. */
    public static FunctionPath parse(String path) {
        String module = path == null ? "" : path;
        String function = "default";
        int colon = module.lastIndexOf(':');
        if (colon >= 0) {
            function = module.substring(colon + 1);
            module = module.substring(0, colon);
            checkIdentifier(function);
        }
        return new FunctionPath(canonicalModule(module), function);
    }

    private static String canonicalModule(String module) {
        String trimmed = module.replaceAll("/+$", "");
        String fileName = trimmed.substring(trimmed.lastIndexOf('/') + 1);
        if (trimmed.isEmpty() || fileName.equals("..") || fileName.equals(".")) {
            throw new InvalidFunctionPathException("Module path " + module + " doesn't have a filename.");
        }
        int dot = fileName.lastIndexOf('.');
        if (dot > 0 && !fileName.substring(dot + 1).equals("js")) {
            throw new InvalidFunctionPathException("Module path (" + module + ") has an extension that isn't 'js'.");
        }
        if (module.startsWith("/")) {
            throw new InvalidFunctionPathException("Module paths must be relative (" + module + " is absolute).");
        }
        String withoutJs = trimmed.endsWith(".js") ? trimmed.substring(0, trimmed.length() - 3) : trimmed;
        for (String component : withoutJs.split("/+")) {
            if (component.equals("..")) {
                throw new InvalidFunctionPathException("Invalid path component ParentDir in " + module + ".");
            }
            if (component.equals(".")) {
                continue;
            }
            checkPathComponent(component);
        }
        return withoutJs.replace("/./", "/").replaceAll("^\\./", "");
    }

    private static void checkPathComponent(String component) {
        if (component.length() > MAX_IDENTIFIER_LENGTH) {
            throw new InvalidFunctionPathException("Path component is too long (" + component.length()
                    + " > maximum " + MAX_IDENTIFIER_LENGTH + "): " + component.substring(0, MAX_IDENTIFIER_LENGTH) + "...");
        }
        if (!component.chars().allMatch(c -> isAsciiAlphanumeric(c) || c == '_' || c == '.')) {
            throw new InvalidFunctionPathException("Path component " + component
                    + " can only contain alphanumeric characters, underscores, or periods.");
        }
        if (component.chars().noneMatch(FunctionPath::isAsciiAlphanumeric)) {
            throw new InvalidFunctionPathException("Path component " + component
                    + " must have at least one alphanumeric character.");
        }
    }

    private static void checkIdentifier(String name) {
        if (name.isEmpty()) {
            throw new InvalidFunctionPathException("Identifier cannot be empty");
        }
        char first = name.charAt(0);
        if (!(first < 128 && Character.isLetter(first)) && first != '_') {
            throw new InvalidFunctionPathException("Invalid first character '" + first + "' in " + name
                    + ": Identifiers must start with an alphabetic character or underscore");
        }
        for (char c : name.toCharArray()) {
            if (!isAsciiAlphanumeric(c) && c != '_') {
                throw new InvalidFunctionPathException("Identifier " + name + " has invalid character '" + c
                        + "': Identifiers can only contain alphanumeric characters or underscores");
            }
        }
        if (name.length() > MAX_IDENTIFIER_LENGTH) {
            throw new InvalidFunctionPathException("Identifier is too long (" + name.length() + " > maximum "
                    + MAX_IDENTIFIER_LENGTH + ")");
        }
        if (name.chars().allMatch(c -> c == '_')) {
            throw new InvalidFunctionPathException("Identifier " + name + " cannot have exclusively underscores");
        }
    }

    private static boolean isAsciiAlphanumeric(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    public boolean isSystem() {
        return module.startsWith("_system/");
    }

    /** The stripped form Convex prints in "not found" messages: no {@code .js}, no {@code :default}. */
    @Override
    public String toString() {
        return functionName.equals("default") ? module : module + ":" + functionName;
    }

    /** The canonical form ({@code module.js:function}) Convex prints in wrong-type messages. */
    public String canonical() {
        return module + ".js:" + functionName;
    }
}

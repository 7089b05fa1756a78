package dev.convexpipeline.emulator.store;

import java.util.Optional;

/** Convex's identifier rules for table names (sync_types identifier.rs), with the backend's texts. */
public final class TableNames {
    private static final int MAX_LENGTH = 64;

    private TableNames() {
    }

    /**
     * Why {@code name} is not a valid table name, or empty when it is. A leading underscore is
     * valid here (system tables); the import worker refuses it later, as the backend does.
     */
    public static Optional<String> problemWithIdentifier(String name) {
        if (name == null || name.isEmpty()) {
            return Optional.of("Identifier cannot be empty");
        }
        char first = name.charAt(0);
        if (!isAsciiLetter(first) && first != '_') {
            return Optional.of("Invalid first character " + debugChar(name.codePointAt(0)) + " in " + name
                    + ": Identifiers must start with an alphabetic character or underscore");
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!isAsciiLetter(c) && !(c >= '0' && c <= '9') && c != '_') {
                return Optional.of("Identifier " + name + " has invalid character " + debugChar(name.codePointAt(i))
                        + ": Identifiers can only contain alphanumeric characters or underscores");
            }
        }
        if (name.length() > MAX_LENGTH) {
            return Optional.of("Identifier is too long (" + name.length() + " > maximum " + MAX_LENGTH + ")");
        }
        if (name.chars().allMatch(c -> c == '_')) {
            return Optional.of("Identifier " + name + " cannot have exclusively underscores");
        }
        return Optional.empty();
    }

    /** The import worker's answer for a table in the reserved {@code _} namespace. */
    public static Optional<String> problemWithImportTarget(String name) {
        return name.startsWith("_")
                ? Optional.of("Invalid table name " + name + " starts with metadata prefix '_'")
                : Optional.empty();
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static String debugChar(int codePoint) {
        return "'" + new String(Character.toChars(codePoint)) + "'";
    }
}

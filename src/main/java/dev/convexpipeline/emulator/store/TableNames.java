package dev.convexpipeline.emulator.store;

import java.util.Optional;
import java.util.regex.Pattern;

/** Convex's table-name rules (crates/common/src/types/table.rs, identifier checks). */
public final class TableNames {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final int MAX_LENGTH = 64;

    private TableNames() {
    }

    /** Why {@code name} is not a valid user table name, or empty when it is valid. */
    public static Optional<String> problemWithUserTableName(String name) {
        if (name == null || name.isEmpty()) {
            return Optional.of("Identifier cannot be empty");
        }
        if (name.length() > MAX_LENGTH) {
            return Optional.of("Identifier is too long (" + name.length() + " > maximum " + MAX_LENGTH + ")");
        }
        if (!IDENTIFIER.matcher(name).matches()) {
            return Optional.of("Identifier " + name + " has invalid character");
        }
        if (name.startsWith("_")) {
            return Optional.of("Identifier " + name + " cannot start with underscore");
        }
        return Optional.empty();
    }
}

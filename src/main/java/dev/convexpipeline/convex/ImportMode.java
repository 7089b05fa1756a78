package dev.convexpipeline.convex;

import java.util.Arrays;
import java.util.Optional;

/**
 * What an import does with existing documents (docs/convex-wire.md §3.1, {@code ImportQueryArgs.mode}): the wire
 * name the API takes and the PascalCase name the backend stores in {@code _snapshot_imports}.
 */
public enum ImportMode {
    /** Fail if a destination table already holds documents (the server's default). */
    REQUIRE_EMPTY("requireEmpty", "RequireEmpty"),
    /** Add to the existing documents. */
    APPEND("append", "Append"),
    /** Replace the documents of the tables present in the import; deleting needs confirmation. */
    REPLACE("replace", "Replace"),
    /** Replace every table, clearing those absent from the import; deleting needs confirmation. */
    REPLACE_ALL("replaceAll", "ReplaceAll");

    private final String wireName;
    private final String storedName;

    ImportMode(String wireName, String storedName) {
        this.wireName = wireName;
        this.storedName = storedName;
    }

    public static Optional<ImportMode> fromWireName(String name) {
        return Arrays.stream(values()).filter(mode -> mode.wireName.equals(name)).findFirst();
    }

    public static Optional<ImportMode> fromStoredName(String name) {
        return Arrays.stream(values()).filter(mode -> mode.storedName.equals(name)).findFirst();
    }

    public String wireName() {
        return wireName;
    }

    public String storedName() {
        return storedName;
    }

    /** REPLACE and REPLACE_ALL delete existing documents, so the server asks for confirmation. */
    public boolean replacesTables() {
        return this == REPLACE || this == REPLACE_ALL;
    }
}

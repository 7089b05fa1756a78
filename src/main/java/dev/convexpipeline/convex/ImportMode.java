package dev.convexpipeline.convex;

/** What an import does with existing documents (docs/convex-wire.md §3.1, {@code ImportQueryArgs.mode}). */
public enum ImportMode {
    /** Fail if a destination table already holds documents (the server's default). */
    REQUIRE_EMPTY("requireEmpty"),
    /** Add to the existing documents. */
    APPEND("append"),
    /** Replace the documents of the tables present in the import; deleting needs confirmation. */
    REPLACE("replace"),
    /** Replace every table, clearing those absent from the import; deleting needs confirmation. */
    REPLACE_ALL("replaceAll");

    private final String wireName;

    ImportMode(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}

package dev.convexpipeline.convex;

/** File formats {@code /api/import} understands (docs/convex-wire.md §3.3, {@code ImportQueryArgs.format}). */
public enum ImportFormat {
    /** A ZIP as written by a snapshot export: many tables, {@code _id}/{@code _creationTime} and int64 kept. */
    ZIP("zip"),
    /** One JSON object per line, one table; numbers arrive as float64. */
    JSON_LINES("jsonLines"),
    /** One JSON array of objects, one table; limited in size by the server. */
    JSON_ARRAY("jsonArray"),
    /** A header row, then one row per document, one table. */
    CSV("csv");

    private final String wireName;

    ImportFormat(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** Every format but ZIP names exactly one destination table. */
    public boolean needsTableName() {
        return this != ZIP;
    }
}

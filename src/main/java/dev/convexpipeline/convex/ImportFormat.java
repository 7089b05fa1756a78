package dev.convexpipeline.convex;

import java.util.Arrays;
import java.util.Optional;

/**
 * File formats {@code /api/import} understands (docs/convex-wire.md §3.3, {@code ImportQueryArgs.format}): the wire
 * name ({@code jsonLines}), the name the backend stores in {@code _snapshot_imports} ({@code jsonl}) and the one its
 * messages use ({@code JSONL}).
 */
public enum ImportFormat {
    /** A ZIP as written by a snapshot export: many tables, {@code _id}/{@code _creationTime} and int64 kept. */
    ZIP("zip", "zip", "ZIP"),
    /** One JSON object per line, one table; numbers arrive as float64. */
    JSON_LINES("jsonLines", "jsonl", "JSONL"),
    /** One JSON array of objects, one table; limited in size by the server. */
    JSON_ARRAY("jsonArray", "json_array", "JSON"),
    /** A header row, then one row per document, one table. */
    CSV("csv", "csv", "CSV");

    private final String wireName;
    private final String storedName;
    private final String label;

    ImportFormat(String wireName, String storedName, String label) {
        this.wireName = wireName;
        this.storedName = storedName;
        this.label = label;
    }

    public static Optional<ImportFormat> fromWireName(String name) {
        return Arrays.stream(values()).filter(format -> format.wireName.equals(name)).findFirst();
    }

    public static Optional<ImportFormat> fromStoredName(String name) {
        return Arrays.stream(values()).filter(format -> format.storedName.equals(name)).findFirst();
    }

    public String wireName() {
        return wireName;
    }

    public String storedName() {
        return storedName;
    }

    /** How Convex names the format in "… import requires table name" messages. */
    public String label() {
        return label;
    }

    /** Every format but ZIP names exactly one destination table. */
    public boolean needsTableName() {
        return this != ZIP;
    }
}

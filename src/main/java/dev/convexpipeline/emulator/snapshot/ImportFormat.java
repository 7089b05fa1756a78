package dev.convexpipeline.emulator.snapshot;

import java.util.Arrays;
import java.util.Optional;

/** Import file formats: the API name ({@code jsonLines}) and the name stored in {@code _snapshot_imports} ({@code jsonl}). */
public enum ImportFormat {
    CSV("csv", "csv", "CSV"), JSON_LINES("jsonLines", "jsonl", "JSONL"),
    JSON_ARRAY("jsonArray", "json_array", "JSON"), ZIP("zip", "zip", "ZIP");

    private final String apiName;
    private final String storedName;
    private final String label;

    ImportFormat(String apiName, String storedName, String label) {
        this.apiName = apiName;
        this.storedName = storedName;
        this.label = label;
    }

    public static Optional<ImportFormat> fromApiName(String name) {
        return Arrays.stream(values()).filter(format -> format.apiName.equals(name)).findFirst();
    }

    public String apiName() {
        return apiName;
    }

    public String storedName() {
        return storedName;
    }

    /** How Convex names the format in "… import requires table name" messages. */
    public String label() {
        return label;
    }
}

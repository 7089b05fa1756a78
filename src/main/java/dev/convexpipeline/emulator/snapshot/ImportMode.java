package dev.convexpipeline.emulator.snapshot;

import java.util.Arrays;
import java.util.Optional;

/** What an import does to existing tables. Stored PascalCase, as the backend stores it. */
public enum ImportMode {
    REQUIRE_EMPTY("requireEmpty", "RequireEmpty"), APPEND("append", "Append"),
    REPLACE("replace", "Replace"), REPLACE_ALL("replaceAll", "ReplaceAll");

    private final String apiName;
    private final String storedName;

    ImportMode(String apiName, String storedName) {
        this.apiName = apiName;
        this.storedName = storedName;
    }

    public static Optional<ImportMode> fromApiName(String name) {
        return Arrays.stream(values()).filter(mode -> mode.apiName.equals(name)).findFirst();
    }

    public static Optional<ImportMode> fromStoredName(String name) {
        return Arrays.stream(values()).filter(mode -> mode.storedName.equals(name)).findFirst();
    }

    public String apiName() {
        return apiName;
    }

    public String storedName() {
        return storedName;
    }

    public boolean replacesTables() {
        return this == REPLACE || this == REPLACE_ALL;
    }
}

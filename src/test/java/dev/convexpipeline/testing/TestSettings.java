package dev.convexpipeline.testing;

import dev.convexpipeline.app.ConfigFile;
import dev.convexpipeline.app.SettingsSource;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Settings as a pipeline with an empty environment reads them (config/application.properties at its
 * defaults), with a test's few keys on top: the typed settings have no defaults of their own.
 */
public final class TestSettings {
    public static final Path CONFIG = Path.of("config/application.properties");

    private TestSettings() {
    }

    /** The file's defaults with {@code overrides} winning; a later change to {@code overrides} is seen. */
    public static SettingsSource with(Map<String, String> overrides) {
        Map<String, String> defaults = ConfigFile.defaults(CONFIG);
        return SettingsSource.of(key -> overrides.containsKey(key) ? overrides.get(key) : defaults.get(key),
                CONFIG + " (test defaults)");
    }

    public static SettingsSource defaults() {
        return with(new HashMap<>());
    }
}

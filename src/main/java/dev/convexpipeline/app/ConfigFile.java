package dev.convexpipeline.app;

import org.apache.camel.impl.DefaultCamelContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** config/application.properties as the operator commands read it, outside a running pipeline. */
public final class ConfigFile {
    private ConfigFile() {
    }

    public static Path require(Path config) {
        if (!Files.isRegularFile(config)) {
            throw new IllegalArgumentException("Configuration file " + config.toAbsolutePath()
                    + " not found: run from the project directory or pass --config");
        }
        return config;
    }

    /**
     * The settings of a sandbox running from this directory, below the environment (a variable the
     * operator set still wins), announced on {@code notes} so the operator knows where they came from.
     */
    static Map<String, String> sandboxSettings(Path config, Map<String, String> environment, Path dataDir,
                                               PrintStream notes) {
        Map<String, String> used = new LinkedHashMap<>();
        SandboxSettings.ofRunningSandbox(dataDir).ifPresent(settings -> settings.forEach((key, value) -> {
            if (!EnvironmentFiles.setInEnvironment(config, key, environment)) {
                used.put(key, value);
            }
        }));
        if (!used.isEmpty()) {
            notes.println("Using the running sandbox's settings from " + SandboxSettings.file(dataDir)
                    + " (" + String.join(", ", used.keySet()) + "); environment variables still win.");
            notes.flush();
        }
        return used;
    }

    /**
     * Key → value, resolved by Camel's properties component exactly as the running pipeline does
     * ({{env:NAME:default}} or NAME_FILE, file < environment); null for a missing key.
     */
    public static Function<String, String> properties(Path config) {
        return properties(config, SandboxSettings.DEFAULT_DATA_DIR);
    }

    /** As {@link #properties(Path)}, looking for a running sandbox's settings under {@code sandboxDataDir}. */
    public static Function<String, String> properties(Path config, Path sandboxDataDir) {
        require(config);
        DefaultCamelContext context = new DefaultCamelContext(false);
        context.getPropertiesComponent().setLocation("file:" + config.toAbsolutePath());
        // Override values are taken as given: a sandbox's or a secret file's value is not a template.
        Map<String, String> overrides = new LinkedHashMap<>(sandboxSettings(config, System.getenv(), sandboxDataDir, System.err));
        overrides.putAll(EnvironmentFiles.overrides(config, System.getenv()));
        return key -> overrides.containsKey(key) ? overrides.get(key) : context.getPropertiesComponent().resolveProperty(key)
                .map(context::resolvePropertyPlaceholders).orElse(null);
    }
}

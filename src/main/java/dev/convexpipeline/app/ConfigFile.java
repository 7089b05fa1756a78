package dev.convexpipeline.app;

import org.apache.camel.impl.DefaultCamelContext;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** config/application.properties as the operator commands read it, outside a running pipeline. */
public final class ConfigFile {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([^}]*)}}");
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

    /** The typed view of {@link #properties(Path)}: what every command reads its settings from. */
    public static SettingsSource settings(Path config) {
        return SettingsSource.of(properties(config), config.toString());
    }

    /** As {@link #settings(Path)}, looking for a running sandbox's settings under {@code sandboxDataDir}. */
    public static SettingsSource settings(Path config, Path sandboxDataDir) {
        return SettingsSource.of(properties(config, sandboxDataDir), config.toString());
    }

    /** {@link #settings(Path)} with {@code overrides} winning (benchmarks and tools that set a few keys). */
    public static SettingsSource settings(Path config, Map<String, String> overrides) {
        Function<String, String> file = properties(config);
        return SettingsSource.of(key -> overrides.containsKey(key) ? overrides.get(key) : file.apply(key),
                config + " (with overrides)");
    }

    /**
     * The file's own values: every {@code {{env:NAME:default}}} at its default and {@code {{key}}}
     * references resolved, with no environment, secret file or sandbox applied. What a pipeline
     * started with an empty environment reads.
     */
    public static Map<String, String> defaults(Path config) {
        Properties raw = new Properties();
        try (Reader in = Files.newBufferedReader(require(config), StandardCharsets.UTF_8)) {
            raw.load(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + config + ": " + e.getMessage(), e);
        }
        Map<String, String> values = new TreeMap<>();
        for (String key : raw.stringPropertyNames()) {
            values.put(key, resolveDefault(raw, raw.getProperty(key), 0));
        }
        return values;
    }

    private static String resolveDefault(Properties raw, String value, int depth) {
        Matcher placeholder = PLACEHOLDER.matcher(value);
        StringBuilder resolved = new StringBuilder();
        while (placeholder.find()) {
            String inner = placeholder.group(1);
            String replacement;
            if (inner.startsWith("env:")) {
                int colon = inner.indexOf(':', "env:".length());
                replacement = colon < 0 ? "" : inner.substring(colon + 1);
            } else if (raw.containsKey(inner.trim()) && depth < 10) {
                replacement = resolveDefault(raw, raw.getProperty(inner.trim()), depth + 1);
            } else {
                replacement = placeholder.group();
            }
            placeholder.appendReplacement(resolved, Matcher.quoteReplacement(replacement));
        }
        placeholder.appendTail(resolved);
        return resolved.toString();
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

package dev.convexpipeline.app;

import org.apache.camel.impl.DefaultCamelContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
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
     * Key → value, resolved by Camel's properties component exactly as the running pipeline does
     * ({{env:NAME:default}} or NAME_FILE, file < environment); null for a missing key.
     */
    public static Function<String, String> properties(Path config) {
        require(config);
        DefaultCamelContext context = new DefaultCamelContext(false);
        context.getPropertiesComponent().setLocation("file:" + config.toAbsolutePath());
        Properties fromFiles = new Properties();
        fromFiles.putAll(EnvironmentFiles.overrides(config, System.getenv()));
        context.getPropertiesComponent().setOverrideProperties(fromFiles);
        return key -> context.getPropertiesComponent().resolveProperty(key)
                .map(context::resolvePropertyPlaceholders).orElse(null);
    }
}

package dev.convexpipeline.app;

import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.nio.file.Path;

/**
 * {@code --config}, the one option every command shares: the properties file it reads its settings
 * from (environment variables override it). Inherited by a command's verbs, so it may follow the verb.
 */
public final class ConfigOption {
    @Option(names = "--config", defaultValue = "config/application.properties", scope = ScopeType.INHERIT,
            description = "Properties file (default: ${DEFAULT-VALUE}); environment variables override it.")
    Path config;

    public Path path() {
        return config;
    }

    /** The settings as the pipeline would resolve them (file, environment, {@code NAME_FILE} secrets). */
    public SettingsSource settings() {
        return ConfigFile.settings(config);
    }
}

package dev.convexpipeline.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code serve}: the long-lived pipeline, configured by config/application.properties and the environment. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the pipeline (webhook endpoint, schedules, admin API) until stopped.")
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--config", defaultValue = "config/application.properties",
            description = "Properties file (default: ${DEFAULT-VALUE}); environment variables override it.")
    Path config;

    @Override
    public Integer call() throws Exception {
        return PipelineRuntime.create(config, Map.of()).runUntilStopped();
    }
}

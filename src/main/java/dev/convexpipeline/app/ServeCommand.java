package dev.convexpipeline.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code serve}: the long-lived pipeline, configured by config/application.properties and the environment. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the pipeline (webhook endpoint, schedules, admin API) until stopped.")
public final class ServeCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        return PipelineRuntime.create(config.path(), Map.of()).runUntilStopped();
    }
}

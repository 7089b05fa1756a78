package dev.convexpipeline.app;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command whose verbs are its subcommands ({@code backup run}, {@code migrate status}, {@code stripe
 * events}): {@code --config} for every verb, and the usage when no verb is given.
 */
public abstract class VerbGroup implements Runnable {
    @Mixin
    protected ConfigOption config;

    @Spec
    protected CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The settings of {@code --config}. */
    public SettingsSource settings() {
        return config.settings();
    }

    /** The {@code --config} file. */
    public java.nio.file.Path configFile() {
        return config.path();
    }

    public java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }
}

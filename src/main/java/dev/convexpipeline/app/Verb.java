package dev.convexpipeline.app;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/** One verb of a {@link VerbGroup} ({@code backup run}, {@code migrate status}): where it prints. */
public abstract class Verb {
    @Spec
    protected CommandSpec spec;

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }
}

package dev.convexpipeline;

import picocli.CommandLine;

/** The pipeline's version, read from the jar manifest (falls back to "dev" when run from classes). */
public final class PipelineVersion {
    private PipelineVersion() {
    }

    public static String get() {
        String version = PipelineVersion.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    public static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"convex-pipeline " + get()};
        }
    }
}

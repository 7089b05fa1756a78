package dev.convexpipeline;

import dev.convexpipeline.app.SettingsSource;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;

import java.nio.file.Path;

/**
 * One file of the pipeline's routes folder ({@code camel.main.routes-include-pattern}, PIPELINE_ROUTES_DIR),
 * for CLI commands that run their flow through the same route as the server, in a small Camel context.
 */
public final class RouteFile {
    private RouteFile() {
    }

    /** Where the file is expected (a CLI run from elsewhere than the pipeline's directory does not find it there). */
    public static Path path(SettingsSource settings, String fileName) {
        String folder = settings.text("camel.main.routes-include-pattern").replaceFirst("^file:", "").replaceFirst("/[^/]*$", "");
        return Path.of(folder, fileName);
    }

    /** What to tell the operator when {@link #path} holds no file. */
    public static String missing(Path file, String what) {
        return "the " + what + " route " + file.toAbsolutePath() + " is missing: run from the pipeline's directory"
                + " or set PIPELINE_ROUTES_DIR";
    }

    /** Adds the file's routes to {@code camel} (not started yet). */
    public static void load(CamelContext camel, Path file) throws Exception {
        Resource resource = PluginHelper.getResourceLoader(camel).resolveResource("file:" + file.toAbsolutePath());
        PluginHelper.getRoutesLoader(camel).loadRoutes(resource);
    }
}

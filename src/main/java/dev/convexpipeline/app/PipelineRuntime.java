package dev.convexpipeline.app;

import org.apache.camel.CamelContext;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The long-lived pipeline: Camel Main reading {@code config/application.properties} and the YAML
 * routes in {@code routes/}, with the beans of {@link PipelineBeans}.
 */
public final class PipelineRuntime implements AutoCloseable {
    private final Main main;

    private PipelineRuntime(Main main) {
        this.main = main;
    }

    /** Builds the runtime; {@code overrides} win over the file and the environment (used by the sandbox and tests). */
    public static PipelineRuntime create(Path configFile, Map<String, String> overrides) {
        ConfigFile.require(configFile);
        Main main = new Main();
        main.setPropertyPlaceholderLocations("file:" + configFile.toAbsolutePath());
        // NAME_FILE secrets count as the environment: below the explicit overrides.
        Map<String, String> all = new LinkedHashMap<>(EnvironmentFiles.overrides(configFile, System.getenv()));
        all.putAll(overrides);
        all.forEach(main::addOverrideProperty);
        return new PipelineRuntime(main);
    }

    /** Starts Camel and returns once every route runs. */
    public PipelineRuntime start() throws Exception {
        main.start();
        try {
            ListenerCheck.requireBound(main.getCamelContext());
        } catch (IllegalStateException e) {
            main.stop();
            throw e;
        }
        return this;
    }

    /** Starts Camel and blocks until the JVM is asked to stop (SIGTERM/Ctrl-C). */
    public int runUntilStopped() throws Exception {
        // Checked once Camel has started: a listener that could not bind ends the run with its reason.
        AtomicReference<IllegalStateException> unbound = new AtomicReference<>();
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterStart(BaseMainSupport started) {
                try {
                    ListenerCheck.requireBound(main.getCamelContext());
                } catch (IllegalStateException e) {
                    unbound.set(e);
                    main.completed();
                }
            }
        });
        main.run();
        if (unbound.get() != null) {
            throw unbound.get();
        }
        return main.getExitCode();
    }

    /** The public port as configured (environment and overrides applied). */
    public int publicPort() {
        return Integer.parseInt(camelContext().resolvePropertyPlaceholders("{{camel.server.port}}"));
    }

    public int managementPort() {
        return Integer.parseInt(camelContext().resolvePropertyPlaceholders("{{camel.management.port}}"));
    }

    public CamelContext camelContext() {
        return main.getCamelContext();
    }

    @Override
    public void close() {
        try {
            main.stop();
        } catch (Exception e) {
            throw new IllegalStateException("Pipeline did not stop cleanly: " + e.getMessage(), e);
        }
    }
}

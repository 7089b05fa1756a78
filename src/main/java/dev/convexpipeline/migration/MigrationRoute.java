package dev.convexpipeline.migration;

import dev.convexpipeline.RouteFile;
import dev.convexpipeline.app.SettingsSource;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs {@code routes/migration.camel.yaml} in a small Camel context inside a CLI command, so
 * {@code migrate run} and {@code migrate resume} go through the same route as the admin API.
 */
public final class MigrationRoute implements AutoCloseable {
    private final CamelContext camel;

    private MigrationRoute(CamelContext camel) {
        this.camel = camel;
    }

    /** The routes folder is the pipeline's ({@code camel.main.routes-include-pattern}, PIPELINE_ROUTES_DIR). */
    static MigrationRoute start(MigrationOperations operations, SettingsSource settings) throws Exception {
        Path file = RouteFile.path(settings, "migration.camel.yaml");
        if (!Files.isRegularFile(file)) {
            throw new MigrationRefusedException(RouteFile.missing(file, "migration"));
        }
        CamelContext camel = new DefaultCamelContext();
        camel.getRegistry().bind("migrations", operations);
        operations.withCamelContext(camel);
        RouteFile.load(camel, file);
        camel.start();
        return new MigrationRoute(camel);
    }

    /**
     * Runs one migration request through the route in a context of its own and returns the journal it
     * ended with: {@code migrate run} and {@code restore} both start migrations this way.
     */
    public static MigrationJournal run(Migrator migrator, SettingsSource settings, Migrator.Request request)
            throws Exception {
        try (MigrationRoute route = start(new MigrationOperations(() -> migrator), settings)) {
            return route.send("direct:migration", request, null);
        }
    }

    /** Sends to {@code endpoint} and waits; returns the journal the route ended with. */
    MigrationJournal send(String endpoint, Object body, String migrationId) throws Exception {
        try (ProducerTemplate template = camel.createProducerTemplate()) {
            Exchange exchange = template.request(endpoint, e -> {
                e.getMessage().setBody(body);
                if (migrationId != null) {
                    e.getMessage().setHeader(MigrationOperations.ID, migrationId);
                }
            });
            if (exchange.getException() != null) {
                throw exchange.getException();
            }
            return exchange.getMessage().getBody(MigrationJournal.class);
        }
    }

    @Override
    public void close() {
        camel.stop();
    }
}

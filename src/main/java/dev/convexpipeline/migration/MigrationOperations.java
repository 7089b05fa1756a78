package dev.convexpipeline.migration;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.convex.ImportMode;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.ProducerTemplate;
import org.slf4j.MDC;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The migration bean of {@code routes/migration.camel.yaml}: one method per runbook step, each
 * taking the migration id from the {@value #ID} header and delegating to {@link Migrator}. The
 * admin API and {@code migrate run} both send to {@code direct:migration}, so they run the same route.
 */
public final class MigrationOperations implements AutoCloseable {
    public static final String ID = "migrationId";
    public static final String DRY_RUN = "migrationDryRun";
    /** Set by the admin API: the steps after preflight run on the route's own thread and the caller gets 202. */
    public static final String ASYNC = "migrationAsync";

    private final Supplier<Migrator> factory;
    private Migrator migrator;
    private CamelContext camelContext;

    public MigrationOperations(Supplier<Migrator> factory) {
        this.factory = factory;
    }

    public MigrationOperations withCamelContext(CamelContext context) {
        this.camelContext = context;
        return this;
    }

    public synchronized Migrator migrator() {
        if (migrator == null) {
            migrator = factory.get();
        }
        return migrator;
    }

    // ---- route steps ----------------------------------------------------------------------

    /** Body: a {@link Migrator.Request}; a destructive mode must already be confirmed ({@code yes}). */
    public MigrationJournal preflight(Exchange exchange) throws IOException, org.apache.camel.InvalidPayloadException {
        Migrator.Request request = exchange.getMessage().getMandatoryBody(Migrator.Request.class);
        // The CLI asks at its terminal and sends yes; a request that reaches this point unconfirmed is refused.
        MigrationJournal journal = migrator().preflight(request, (question, expected) -> {
            throw new MigrationRefusedException(question + " — confirm with \"yes\": true (API) or --yes (CLI)");
        }).journal();
        exchange.getMessage().setHeader(ID, journal.id());
        exchange.getMessage().setHeader(DRY_RUN, request.dryRun());
        return journal;
    }

    public MigrationJournal pauseSource(@Header(ID) String id) throws IOException {
        return step(id, () -> migrator().pauseSource(id));
    }

    public MigrationJournal snapshot(@Header(ID) String id) throws IOException {
        return step(id, () -> migrator().snapshot(id));
    }

    public MigrationJournal rollbackPoint(@Header(ID) String id) throws IOException {
        return step(id, () -> migrator().rollbackPoint(id));
    }

    public MigrationJournal importSnapshot(@Header(ID) String id) throws IOException {
        return step(id, () -> migrator().importSnapshot(id));
    }

    public MigrationJournal verify(@Header(ID) String id) throws IOException {
        return step(id, () -> migrator().verify(id));
    }

    public MigrationJournal report(@Header(ID) String id) throws IOException {
        return step(id, () -> migrator().report(id));
    }

    /** The route's catch: the journal records the failure (a paused source is unpaused) and becomes the body. */
    public MigrationJournal failed(@Header(ID) String id, Exchange exchange) throws IOException {
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        return step(id, () -> migrator().recordFailure(id,
                cause == null ? new IllegalStateException("unknown failure") : cause));
    }

    private interface Step {
        MigrationJournal run() throws IOException;
    }

    /** Every log line a step writes carries its migration id (LOG_FORMAT=json shows it as a field). */
    private static MigrationJournal step(String id, Step step) throws IOException {
        MDC.put(ID, id);
        try {
            return step.run();
        } finally {
            MDC.remove(ID);
        }
    }

    // ---- admin API --------------------------------------------------------------------------

    /**
     * {@code POST /admin/migrations}: preflight answers at once (a refusal is a 400 with the reason);
     * the steps then run in the background and {@code GET /admin/migrations/<id>} follows them.
     */
    public Map<String, Object> startForAdmin(String body) throws IOException {
        Migrator.Request request = parseRequest(body);
        try (ProducerTemplate template = camelContext.createProducerTemplate()) {
            Exchange exchange = template.request("direct:migration", e -> {
                e.getMessage().setBody(request);
                e.getMessage().setHeader(ASYNC, true);
            });
            if (exchange.getException() != null) {
                Exception failure = exchange.getException();
                if (failure instanceof MigrationRefusedException refused) {
                    throw new IllegalArgumentException(refused.getMessage(), refused);
                }
                throw failure instanceof IOException io ? io : new IllegalStateException(failure.getMessage(), failure);
            }
            MigrationJournal journal = exchange.getMessage().getBody(MigrationJournal.class);
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("id", journal.id());
            answer.put("status", journal.status().name().toLowerCase(Locale.ROOT));
            answer.put("location", "/admin/migrations/" + journal.id());
            answer.put("plan", journal.report());
            return answer;
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** {@code GET /admin/migrations/<id>}: state, progress and report; 404 for an unknown id. */
    public Map<String, Object> statusForAdmin(@Header(Exchange.HTTP_PATH) String path, Exchange exchange) throws IOException {
        String id = path.substring(path.lastIndexOf('/') + 1);
        try {
            return MigrationView.of(migrator().journals().get(id));
        } catch (MigrationRefusedException unknown) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 404);
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("error", unknown.getMessage());
            return error;
        }
    }

    /** The bean the pipeline binds as {@code migrations}; its metrics join Camel's registry once Camel runs. */
    public static MigrationOperations create(CamelContext camelContext, dev.convexpipeline.app.SettingsSource settings,
                                             dev.convexpipeline.convex.ConvexClient shared) {
        MigrationMetrics metrics = new MigrationMetrics();
        camelContext.getManagementStrategy().addEventNotifier(new org.apache.camel.support.SimpleEventNotifierSupport() {
            @Override
            public void notify(org.apache.camel.spi.CamelEvent event) {
                if (event.getType() == org.apache.camel.spi.CamelEvent.Type.CamelContextStarted) {
                    camelContext.getRegistry().findByType(io.micrometer.core.instrument.MeterRegistry.class).stream()
                            .filter(r -> r.getClass().getSimpleName().contains("Prometheus")).findFirst()
                            .ifPresent(metrics::bindTo);
                }
            }
        });
        return new MigrationOperations(() -> new Migrator(MigrationSettings.load(settings).withSharedClient(shared), java.time.Clock.systemUTC(),
                metrics)).withCamelContext(camelContext);
    }

    /** {@code GET /admin/migrations}. */
    public Map<String, Object> listForAdmin() throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (MigrationJournal journal : migrator().journals().list()) {
            rows.add(MigrationView.summary(journal));
        }
        return Map.of("storage", migrator().journals().describe(), "migrations", rows);
    }

    static Migrator.Request parseRequest(String body) {
        JsonNode json;
        try {
            json = MigrationJournalStore.JSON.readTree(body == null || body.isBlank() ? "{}" : body);
        } catch (IOException e) {
            throw new IllegalArgumentException("The body must be JSON like {\"from\":\"latest\",\"to\":\"https://…\"}: "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
        List<String> tables = new ArrayList<>();
        json.path("tables").forEach(t -> tables.add(t.asText()));
        if (json.has("keyFile") || json.has("sourceKey") || json.has("targetKey")) {
            throw new IllegalArgumentException("Admin keys are never sent in the request: the pipeline reads"
                    + " MIGRATE_SOURCE_ADMIN_KEY / MIGRATE_TARGET_ADMIN_KEY from its environment");
        }
        return new Migrator.Request(json.path("from").asText(null), json.path("to").asText(null), tables,
                mode(json.path("mode").asText("require-empty")), json.path("pauseSource").asBoolean(false),
                json.path("dryRun").asBoolean(false), json.path("yes").asBoolean(false),
                json.path("skipFunctionsCheck").asBoolean(false), null, null);
    }

    /** {@code require-empty}, {@code append}, {@code replace}, {@code replace-all} (the wire names work too). */
    public static ImportMode mode(String text) {
        String normalized = text.trim().toLowerCase(Locale.ROOT).replace("_", "-");
        for (ImportMode mode : ImportMode.values()) {
            if (mode.name().toLowerCase(Locale.ROOT).replace('_', '-').equals(normalized)
                    || mode.wireName().equalsIgnoreCase(text.trim())) {
                return mode;
            }
        }
        throw new IllegalArgumentException("mode must be require-empty, append, replace or replace-all, got '" + text + "'");
    }

    @Override
    public synchronized void close() {
        if (migrator != null) {
            migrator.close();
        }
    }
}

package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.emulator.functions.ApplicationFunctions;
import dev.convexpipeline.emulator.functions.FunctionKind;
import dev.convexpipeline.emulator.functions.FunctionOutcome;
import dev.convexpipeline.emulator.functions.FunctionPath;
import dev.convexpipeline.emulator.functions.FunctionRegistry;
import dev.convexpipeline.emulator.functions.FunctionRunner;
import dev.convexpipeline.emulator.functions.Identity;
import dev.convexpipeline.emulator.functions.SystemFunctions;
import dev.convexpipeline.emulator.http.AdminKeys;
import dev.convexpipeline.emulator.http.EmulatorRoutes;
import dev.convexpipeline.emulator.snapshot.ExportService;
import dev.convexpipeline.emulator.snapshot.ImportService;
import dev.convexpipeline.emulator.storage.FileStorage;
import dev.convexpipeline.emulator.storage.ScratchFiles;
import dev.convexpipeline.emulator.store.DocumentStore;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for a self-hosted Convex backend: the HTTP and sync contract of
 * docs/convex-wire.md, the application's functions from docs/convex-contract.md, and
 * snapshot export/import compatible with the official CLI.
 */
public final class ConvexEmulator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConvexEmulator.class);
    public static final String DEFAULT_INSTANCE_NAME = "convex-self-hosted";

    /**
     * How to run the emulator. {@code port} 0 picks a free port; empty {@code adminKeys} means
     * one is generated; without {@code dataDirectory} everything lives in memory.
     */
    public record Config(String host, int port, String instanceName, List<String> adminKeys,
                         Optional<Path> dataDirectory, boolean demoData) {
        public Config {
            host = host == null ? "127.0.0.1" : host;
            instanceName = instanceName == null || instanceName.isBlank() ? DEFAULT_INSTANCE_NAME : instanceName;
            adminKeys = adminKeys == null ? List.of() : List.copyOf(adminKeys);
            dataDirectory = dataDirectory == null ? Optional.empty() : dataDirectory;
        }

        /** In memory, on a free local port, with a generated key: what tests want. */
        public static Config ephemeral() {
            return new Config("127.0.0.1", 0, DEFAULT_INSTANCE_NAME, List.of(), Optional.empty(), false);
        }

        public Config withDataDirectory(Path directory) {
            return new Config(host, port, instanceName, adminKeys, Optional.of(directory), demoData);
        }

        public Config withAdminKey(String key) {
            return new Config(host, port, instanceName, List.of(key), dataDirectory, demoData);
        }

        public Config withInstanceName(String name) {
            return new Config(host, port, name, adminKeys, dataDirectory, demoData);
        }

        public Config withPort(int newPort) {
            return new Config(host, newPort, instanceName, adminKeys, dataDirectory, demoData);
        }
    }

    private static final String ADMIN_KEY_FILE = "admin_key";

    private final Config config;
    private List<String> adminKeys;
    private final FunctionRegistry registry = new FunctionRegistry();
    private DocumentStore store;
    private FunctionRunner runner;
    private Vertx vertx;
    private HttpServer server;
    private EmulatorRoutes routes;
    private ExecutorService exportWorker;
    private ExecutorService importWorker;
    private Path scratchDirectory;
    private boolean ownsScratchDirectory;

    public ConvexEmulator(Config config) {
        this(config, true);
    }

    /**
     * An emulator without the application's functions, like a freshly installed self-hosted backend
     * nobody has deployed to: every contract function (pipeline:contract included) is missing and a
     * call gets the backend's own "Could not find public function" error. System functions remain.
     */
    public static ConvexEmulator bare(Config config) {
        return new ConvexEmulator(config, false);
    }

    private ConvexEmulator(Config config, boolean applicationFunctions) {
        this.config = config;
        this.adminKeys = config.adminKeys().isEmpty()
                ? List.of(config.dataDirectory().flatMap(ConvexEmulator::savedAdminKey)
                        .orElseGet(() -> AdminKeys.generate(config.instanceName())))
                : config.adminKeys();
        SystemFunctions.registerAll(registry);
        dev.convexpipeline.emulator.functions.CliSystemFunctions.registerAll(registry, this::url);
        if (applicationFunctions) {
            ApplicationFunctions.registerAll(registry);
            dev.convexpipeline.emulator.functions.app.StripeFunctions.registerAll(registry);
            dev.convexpipeline.emulator.functions.app.ReconcileFunctions.registerAll(registry);
        }
    }

    /** Extra functions (tests, sandboxes) can be registered before or after start. */
    public FunctionRegistry functions() {
        return registry;
    }

    public synchronized ConvexEmulator start() {
        if (server != null) {
            return this;
        }
        try {
            if (config.dataDirectory().isPresent()) {
                scratchDirectory = config.dataDirectory().get();
                Files.createDirectories(scratchDirectory);
                ownsScratchDirectory = false;
            } else {
                scratchDirectory = Files.createTempDirectory("convex-emulator-");
                ownsScratchDirectory = true;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not prepare the emulator directory " + config.dataDirectory()
                    .map(Path::toString).orElse("(temp)") + ": " + e.getMessage(), e);
        }
        if (config.adminKeys().isEmpty() && config.dataDirectory().isPresent()) {
            saveAdminKey(scratchDirectory, adminKeys.get(0));
        }
        store = new DocumentStore(config.dataDirectory());
        BackgroundJobs.failInterrupted(store);
        runner = new FunctionRunner(registry, store);
        if (config.demoData() && store.latest().table("users").isEmpty()) {
            DemoData.load(this);
        }
        FileStorage fileStorage = new FileStorage(scratchDirectory.resolve("storage"));
        exportWorker = Executors.newSingleThreadExecutor(daemon("convex-emulator-export"));
        importWorker = Executors.newSingleThreadExecutor(daemon("convex-emulator-import"));
        vertx = Vertx.vertx(new VertxOptions().setWorkerPoolSize(32));
        routes = new EmulatorRoutes(vertx, store, runner, new AdminKeys(config.instanceName(), adminKeys),
                new ExportService(store, scratchDirectory.resolve("exports"), exportWorker, fileStorage),
                new ImportService(store, scratchDirectory.resolve("uploads"), importWorker, fileStorage));
        try {
            server = vertx.createHttpServer(new HttpServerOptions().setHost(config.host()).setPort(config.port())
                            .setCompressionSupported(false))
                    .requestHandler(routes.router())
                    .listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            stop();
            throw new IllegalStateException("Could not start the Convex emulator on " + config.host() + ":"
                    + config.port() + ": " + e.getMessage() + " — is the port already in use?", e);
        }
        LOG.info("Convex emulator listening on {}", url());
        return this;
    }

    public synchronized void stop() {
        if (routes != null) {
            routes.syncSockets().closeAll();
        }
        if (vertx != null) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("Vert.x did not close cleanly: {}", e.toString());
            }
        }
        shutdown(exportWorker);
        shutdown(importWorker);
        if (store != null) {
            store.close();
        }
        if (ownsScratchDirectory && scratchDirectory != null) {
            ScratchFiles.deleteQuietly(scratchDirectory);
        }
        server = null;
        vertx = null;
        routes = null;
        store = null;
    }

    @Override
    public void close() {
        stop();
    }

    public String url() {
        return "http://" + config.host() + ":" + port();
    }

    public int port() {
        return server == null ? config.port() : server.actualPort();
    }

    /** The first accepted admin key (the generated one when none was configured). */
    public String adminKey() {
        return adminKeys.get(0);
    }

    public String instanceName() {
        return config.instanceName();
    }

    // ---- in-process API --------------------------------------------------------------------

    /** Runs a mutation as the admin; args are decoded Convex values. Throws when the function fails. */
    public JsonNode runMutation(String path, ObjectNode args) {
        return run(path, FunctionKind.MUTATION, args);
    }

    public JsonNode runQuery(String path, ObjectNode args) {
        return run(path, FunctionKind.QUERY, args);
    }

    /** Inserts a document (user fields) directly, creating the table if needed; returns its {@code _id}. */
    public String insert(String table, ObjectNode fields) {
        return requireStarted().write(tx -> tx.insert(table, fields)).result();
    }

    /** The table's documents in by_id order, at the latest commit. */
    public List<ObjectNode> documents(String table) {
        return requireStarted().latest().documents(table);
    }

    /** The store, for callers that need transactions or snapshots (tests, sandbox seeding). */
    public DocumentStore store() {
        return requireStarted();
    }

    private JsonNode run(String path, FunctionKind kind, ObjectNode args) {
        requireStarted();
        FunctionOutcome outcome = runner.call(new FunctionRunner.Call(FunctionPath.parse(path), kind,
                FunctionRunner.Route.ANY_FUNCTION, Identity.ADMIN, dev.convexpipeline.convex.ConvexValues.toEncoded(args), null));
        if (outcome instanceof FunctionOutcome.Failure failure) {
            throw new IllegalStateException("Function " + path + " failed: " + failure.errorMessage()
                    + (failure.errorData() == null ? "" : " errorData=" + failure.errorData()));
        }
        return ((FunctionOutcome.Success) outcome).value();
    }

    private DocumentStore requireStarted() {
        if (store == null) {
            throw new IllegalStateException("The Convex emulator is not running; call start() first");
        }
        return store;
    }

    /**
     * A generated key is kept next to the data (like self-hosted's credentials file), so a
     * restart with the same data directory keeps working with the key printed the first time.
     */
    private static Optional<String> savedAdminKey(Path dataDirectory) {
        Path file = dataDirectory.resolve(ADMIN_KEY_FILE);
        try {
            return Files.exists(file) ? Optional.of(Files.readString(file).trim()).filter(k -> !k.isEmpty()) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the saved admin key " + file + ": " + e.getMessage(), e);
        }
    }

    private static void saveAdminKey(Path dataDirectory, String key) {
        Path file = dataDirectory.resolve(ADMIN_KEY_FILE);
        try {
            if (!Files.exists(file)) {
                Files.writeString(file, key + "\n");
                try {
                    Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException e) {
                    LOG.debug("File system without POSIX permissions; {} keeps default permissions", file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not save the generated admin key to " + file + ": " + e.getMessage(), e);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    private static void shutdown(ExecutorService executor) {
        if (executor != null) {
            executor.shutdownNow();
            try {
                executor.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

}

package dev.convexpipeline.sandbox;

import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.app.SandboxSettings;
import dev.convexpipeline.emulator.ConvexEmulator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code sandbox}: the whole product on one machine with nothing else installed — the Convex
 * emulator with demo users, an embedded S3 server and the pipeline wired to both. Keys set in the
 * environment (the same variables {@code serve} reads) are used; missing ones are generated and printed.
 */
@Command(name = "sandbox", mixinStandardHelpOptions = true,
        description = "Run the Convex emulator, an embedded S3 server and the pipeline together.")
public final class SandboxCommand implements Callable<Integer> {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Option(names = "--config", defaultValue = "config/application.properties",
            description = "Pipeline properties file (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--convex-port", defaultValue = "3210", description = "Emulator port (default: ${DEFAULT-VALUE}).")
    int convexPort;

    @Option(names = "--s3-port", defaultValue = "9000", description = "Embedded S3 port (default: ${DEFAULT-VALUE}).")
    int s3Port;

    @Option(names = "--http-port", description = "Pipeline public port (default: PIPELINE_HTTP_PORT or 8080).")
    Integer httpPort;

    @Option(names = "--management-port",
            description = "Pipeline management port (default: MANAGEMENT_HTTP_PORT or 8081).")
    Integer managementPort;

    @Option(names = "--data-dir", defaultValue = "data/sandbox",
            description = "Where the emulator and S3 keep their data across restarts (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--ephemeral", description = "Keep everything in memory; nothing survives a restart.")
    boolean ephemeral;

    private final Map<String, String> environment;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Sandbox running;

    public SandboxCommand() {
        this(System.getenv());
    }

    SandboxCommand(Map<String, String> environment) {
        this.environment = environment;
    }

    /** Everything the sandbox started, closed in reverse order. */
    public static final class Sandbox implements AutoCloseable {
        private final Deque<AutoCloseable> parts = new ArrayDeque<>();
        private final Map<String, String> facts = new LinkedHashMap<>();

        <T extends AutoCloseable> T add(T part) {
            parts.push(part);
            return part;
        }

        /** The URLs and keys printed at start (also what tests read). */
        public Map<String, String> facts() {
            return facts;
        }

        @Override
        public void close() {
            while (!parts.isEmpty()) {
                try {
                    parts.pop().close();
                } catch (Exception e) {
                    System.err.println("sandbox: a component did not stop cleanly: " + e.getMessage());
                }
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        running = start();
        print(running, System.out);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "sandbox-shutdown"));
        stopped.await();
        return 0;
    }

    /** Starts every part; on any failure the parts already started are stopped again. */
    public Sandbox start() throws Exception {
        Sandbox sandbox = new Sandbox();
        try {
            String configuredKey = environment.getOrDefault("CONVEX_SERVICE_TOKEN", "");
            ConvexEmulator emulator = sandbox.add(new ConvexEmulator(new ConvexEmulator.Config("127.0.0.1", convexPort,
                    ConvexEmulator.DEFAULT_INSTANCE_NAME,
                    configuredKey.isBlank() ? List.of() : List.of(configuredKey),
                    ephemeral ? Optional.empty() : Optional.of(dataDir.resolve("convex")),
                    true)).start());
            String adminKey = emulator.adminKey();

            String s3AccessKey = orGenerated("S3_ACCESS_KEY", "sandbox-", 8);
            String s3SecretKey = orGenerated("S3_SECRET_KEY", "", 20);
            String bucket = environment.getOrDefault("S3_BUCKET", "convex-backups");
            EmbeddedS3 s3 = sandbox.add(EmbeddedS3.start("127.0.0.1", s3Port,
                    ephemeral ? null : dataDir.resolve("s3"), s3AccessKey, s3SecretKey));
            s3.ensureBucket(bucket);

            String adminToken = orGenerated("ADMIN_TOKEN", "", 24);
            String webhookSecret = orGenerated("STRIPE_WEBHOOK_SECRET", "whsec_", 24);
            Map<String, String> overrides = new LinkedHashMap<>();
            overrides.put("convex.url", emulator.url());
            overrides.put("convex.admin-key", adminKey);
            overrides.put("admin.token", adminToken);
            overrides.put("stripe.webhook-secret", webhookSecret);
            overrides.put("s3.endpoint", s3.endpoint().toString());
            overrides.put("s3.bucket", bucket);
            overrides.put("s3.access-key", s3AccessKey);
            overrides.put("s3.secret-key", s3SecretKey);
            // S3Proxy keeps an unreadable entry (listing fails) for a PUT broken off mid-body, which a
            // streaming single PUT of a failed backup would leave; its multipart path has no such trap.
            overrides.put("s3.single-put-max-mb", environment.getOrDefault("S3_SINGLE_PUT_MAX_MB", "0"));
            // Backups go to the embedded S3 server unless the operator chose a target.
            overrides.put("backup.target", environment.getOrDefault("BACKUP_TARGET", "s3"));
            if (httpPort != null) {
                overrides.put("camel.server.port", httpPort.toString());
            }
            if (managementPort != null) {
                overrides.put("camel.management.port", managementPort.toString());
            }
            PipelineRuntime pipeline = sandbox.add(PipelineRuntime.create(config, overrides).start());
            // The operator commands in another terminal find this sandbox through the file (README, Sandbox).
            Map<String, String> forCommands = new LinkedHashMap<>(overrides);
            forCommands.keySet().removeIf(key -> key.startsWith("camel."));
            SandboxSettings.write(dataDir, forCommands);
            sandbox.add(() -> SandboxSettings.delete(dataDir));

            Map<String, String> facts = sandbox.facts();
            facts.put("convex.url", emulator.url());
            facts.put("convex.adminKey", adminKey);
            facts.put("s3.endpoint", s3.endpoint().toString());
            facts.put("s3.bucket", bucket);
            facts.put("s3.accessKey", s3AccessKey);
            facts.put("s3.secretKey", s3SecretKey);
            facts.put("pipeline.publicUrl", "http://127.0.0.1:" + pipeline.publicPort());
            facts.put("pipeline.managementUrl", "http://127.0.0.1:" + pipeline.managementPort());
            facts.put("admin.token", adminToken);
            facts.put("stripe.webhookSecret", webhookSecret);
            return sandbox;
        } catch (Exception e) {
            sandbox.close();
            throw e;
        }
    }

    static void print(Sandbox sandbox, PrintStream out) {
        Map<String, String> f = sandbox.facts();
        out.println();
        out.println("convex-pipeline sandbox is running (Ctrl-C stops it)");
        out.println("  Convex emulator  " + f.get("convex.url"));
        out.println("    admin key      " + f.get("convex.adminKey"));
        out.println("  S3 (S3Proxy)     " + f.get("s3.endpoint") + "  bucket " + f.get("s3.bucket"));
        out.println("    access key     " + f.get("s3.accessKey"));
        out.println("    secret key     " + f.get("s3.secretKey"));
        out.println("  Pipeline         " + f.get("pipeline.publicUrl") + " (public)  "
                + f.get("pipeline.managementUrl") + " (management)");
        out.println("    admin token    " + f.get("admin.token"));
        out.println("  Stripe webhook   " + f.get("pipeline.publicUrl") + "/stripe/webhook");
        out.println("    signing secret " + f.get("stripe.webhookSecret"));
        out.println();
        out.println("  Try:");
        out.println("    curl " + f.get("pipeline.managementUrl") + "/observe/health/ready");
        out.println("    curl -H 'Authorization: Bearer " + f.get("admin.token") + "' "
                + f.get("pipeline.managementUrl") + "/admin/status");
        out.println("    curl -s -X POST " + f.get("convex.url") + "/api/query -H 'Content-Type: application/json' \\");
        out.println("      -H 'Authorization: Convex " + f.get("convex.adminKey") + "' -d '{\"path\":\"users:list\",\"args\":{}}'");
        out.println("    curl -X POST -H 'Authorization: Bearer " + f.get("admin.token") + "' "
                + f.get("pipeline.managementUrl") + "/admin/backup/run");
        out.println("    CI=1 npx convex export --url " + f.get("convex.url") + " --admin-key '"
                + f.get("convex.adminKey") + "' --path snapshot.zip");
        out.println();
        out.flush();
    }

    private String orGenerated(String variable, String prefix, int randomBytes) {
        String value = environment.getOrDefault(variable, "");
        if (!value.isBlank()) {
            return value;
        }
        byte[] bytes = new byte[randomBytes];
        RANDOM.nextBytes(bytes);
        return prefix + HexFormat.of().formatHex(bytes);
    }
}

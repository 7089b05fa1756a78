package dev.convexpipeline.emulator;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code emulator}: runs the Convex emulator until interrupted (Ctrl-C or SIGTERM). */
@Command(name = "emulator", mixinStandardHelpOptions = true,
        description = "Run a local stand-in for a self-hosted Convex backend (HTTP API, sync, export/import).")
public final class EmulatorCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "3210", description = "Port to listen on (0 = any free port). Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind. Default: ${DEFAULT-VALUE}")
    String host;

    @Option(names = "--admin-key", defaultValue = "${env:CONVEX_ADMIN_KEY}",
            description = "Admin key to accept (default: $CONVEX_ADMIN_KEY; generated and printed when absent)")
    String adminKey;

    @Option(names = "--instance-name", defaultValue = ConvexEmulator.DEFAULT_INSTANCE_NAME,
            description = "Instance name (the part of admin keys before '|'). Default: ${DEFAULT-VALUE}")
    String instanceName;

    @Option(names = "--data-dir", description = "Keep data in this directory across restarts (default: in memory)")
    Path dataDirectory;

    @Option(names = "--demo-data", description = "Seed a few demo rows into an empty deployment")
    boolean demoData;

    @Option(names = "--bare", description = "Start without the application's functions, like a freshly installed"
            + " self-hosted backend before `npx convex deploy`: calls to them fail as they would there")
    boolean bare;

    @Override
    public Integer call() throws InterruptedException {
        boolean generated = adminKey == null || adminKey.isBlank();
        ConvexEmulator.Config config = new ConvexEmulator.Config(host, port, instanceName,
                generated ? List.of() : List.of(adminKey), Optional.ofNullable(dataDirectory), demoData);
        ConvexEmulator emulator = bare ? ConvexEmulator.bare(config) : new ConvexEmulator(config);
        CountDownLatch stopped = new CountDownLatch(1);
        emulator.start();
        // The JVM runs this on SIGTERM/SIGINT; stopping here closes sockets and flushes the journal.
        Thread shutdownHook = new Thread(() -> {
            emulator.stop();
            stopped.countDown();
        }, "convex-emulator-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        System.out.println("Convex emulator running at " + emulator.url()
                + (bare ? " (bare: no application functions deployed)" : ""));
        if (generated) {
            // Printed once so the operator can use it; it is never written to the logs.
            System.out.println("Admin key (generated): " + emulator.adminKey());
        } else {
            // The operator already has this key; show only enough to tell which one is in use.
            System.out.println("Admin key (from --admin-key / CONVEX_ADMIN_KEY): " + masked(emulator.adminKey()));
        }
        System.out.println("Use: npx convex export --url " + emulator.url() + " --admin-key <key> --path snapshot.zip");
        System.out.flush();
        stopped.await();
        return 0;
    }

    static String masked(String key) {
        int bar = key.indexOf('|');
        String visible = key.substring(0, Math.min(key.length(), bar < 0 ? 4 : bar + 5));
        return visible + "…";
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new EmulatorCommand()).execute(args));
    }
}

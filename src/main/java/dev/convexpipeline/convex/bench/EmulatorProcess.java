package dev.convexpipeline.convex.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A Convex emulator in its own JVM, so its heap and GC stay out of the client's measurements.
 * Started from the same class path as this JVM; the process is killed on {@link #close()} and on
 * exit of this JVM.
 */
public record EmulatorProcess(Process process, String url, String adminKey, Path log) implements AutoCloseable {
    /** The emulator's standalone command (picocli), owned by the emulator package. */
    static final String MAIN_CLASS = "dev.convexpipeline.emulator.EmulatorCommand";

    public static EmulatorProcess start(String heap) throws IOException, InterruptedException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String adminKey = "convex-self-hosted|bench" + UUID.randomUUID().toString().replace("-", "");
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx" + heap, "-XX:+UseParallelGC",
                "-cp", System.getProperty("java.class.path"), MAIN_CLASS,
                "--host", "127.0.0.1", "--port", Integer.toString(port), "--admin-key", adminKey));
        Path log = Files.createTempFile("convex-emulator-" + port + "-", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        EmulatorProcess emulator = new EmulatorProcess(process, "http://127.0.0.1:" + port, adminKey, log);
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        emulator.awaitReady(Duration.ofSeconds(60));
        return emulator;
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("Emulator child JVM exited with code " + process.exitValue()
                        + " before answering; its output:\n" + Files.readString(log));
            }
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(url + "/version"))
                        .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(100);
        }
        close();
        throw new IOException("Emulator child JVM did not answer GET " + url + "/version within " + timeout
                + "; its output is in " + log);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a leftover log in the temp directory is harmless
        }
    }
}

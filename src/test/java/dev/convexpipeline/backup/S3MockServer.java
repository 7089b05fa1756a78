package dev.convexpipeline.backup;

import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * Adobe S3Mock (the exec jar that pom.xml copies to target/s3mock) as a separate JVM: S3Mock is a
 * Spring Boot application whose own Spring and AWS SDK would clash with ours in the test JVM.
 * Each instance has its own free port and temporary store folder, both gone after {@link #close()}.
 *
 * <p>Unlike S3Proxy it accepts SSE-S3 and SSE-KMS headers and reports them back on HeadObject;
 * it stores the bytes as sent (nothing is encrypted). SSE-KMS key ids are checked against
 * {@code validKmsKeys}: ARNs given at start, of which S3Mock accepts the bare key id (the part
 * after {@code key/}) in a request, not the whole ARN.
 */
final class S3MockServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(S3MockServer.class);
    static final String JAR_PROPERTY = "s3mock.jar";
    private static final Path DEFAULT_JAR = Path.of("target", "s3mock", "s3mock-exec.jar");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Process process;
    private final Path folder;
    private final Path log;
    private final URI endpoint;
    private final Thread cleanupOnExit;
    private Duration startup;

    private S3MockServer(Process process, Path folder, Path log, URI endpoint) {
        this.process = process;
        this.folder = folder;
        this.log = log;
        this.endpoint = endpoint;
        // A test JVM that exits without close() (a failed @BeforeAll) must not leave S3Mock running.
        this.cleanupOnExit = new Thread(this::stop, "s3mock-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
    }

    /** Starts S3Mock and waits until it answers; {@code validKmsKeyArns} are the KMS keys it accepts. */
    static S3MockServer start(String... validKmsKeyArns) throws IOException {
        Path jar = Path.of(System.getProperty(JAR_PROPERTY, DEFAULT_JAR.toString()));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("S3Mock jar " + jar.toAbsolutePath() + " is missing: run"
                    + " `mvn test-compile` (its generate-test-resources phase copies it from Maven Central)");
        }
        Path folder = Files.createTempDirectory("s3mock-");
        Path root = folder.resolve("store");
        Path log = folder.resolve("s3mock.log");
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", jar.toAbsolutePath().toString(),
                "--com.adobe.testing.s3mock.httpPort=" + port,
                // server.port is S3Mock's HTTPS port: 0 = any free one, the tests use HTTP only.
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--com.adobe.testing.s3mock.store.root=" + root,
                "--com.adobe.testing.s3mock.store.retainFilesOnExit=false",
                "--spring.main.banner-mode=off"));
        if (validKmsKeyArns.length > 0) {
            command.add("--com.adobe.testing.s3mock.store.validKmsKeys=" + String.join(",", validKmsKeyArns));
        }
        long started = System.nanoTime();
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        S3MockServer server = new S3MockServer(process, folder, log, endpoint);
        try {
            server.awaitReady();
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        server.startup = Duration.ofNanos(System.nanoTime() - started);
        LOG.info("S3Mock answered on {} {} ms after its start", endpoint, server.startup.toMillis());
        return server;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Polls ListBuckets ({@code GET /}) until it answers 200; gives up at once if the process exits. */
    private void awaitReady() throws IOException {
        try {
            await("S3Mock answering on " + endpoint).atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(100))
                    .failFast("S3Mock exited", () -> !process.isAlive())
                    .until(this::answersListBuckets);
        } catch (TerminalFailureException exited) {
            throw new IOException("S3Mock exited with code " + process.exitValue() + " before answering on "
                    + endpoint + "; its output ends with:\n" + tail());
        } catch (ConditionTimeoutException silent) {
            throw new IOException("S3Mock did not answer on " + endpoint + " within " + START_TIMEOUT.toSeconds()
                    + " s; its output ends with:\n" + tail());
        }
    }

    private boolean answersListBuckets() {
        try {
            HttpURLConnection connection = (HttpURLConnection) endpoint.resolve("/").toURL().openConnection();
            connection.setConnectTimeout(1000);
            connection.setReadTimeout(5000);
            int status = connection.getResponseCode();
            connection.disconnect();
            return status == 200;
        } catch (IOException notYet) {
            return false;
        }
    }

    /** The last lines S3Mock printed (its log is the place to look when a request fails oddly). */
    String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no output: " + e + ")";
        }
    }

    URI endpoint() {
        return endpoint;
    }

    /** From process start to the first 200 answer. */
    Duration startup() {
        return startup;
    }

    private void stop() {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        stop();
    }
}

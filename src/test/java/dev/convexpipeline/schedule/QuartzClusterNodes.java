package dev.convexpipeline.schedule;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;

/**
 * Real pipeline processes ({@code PipelineCli serve}) joined into one Quartz cluster on the
 * machine's PostgreSQL, each with its own ports and output file, under table names of their own
 * so concurrent test runs do not meet. {@link #close()} kills them and drops those tables.
 */
public final class QuartzClusterNodes implements AutoCloseable {
    public static final String JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/test";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Path work;
    private final String tablePrefix;
    private final List<Process> processes = new ArrayList<>();

    public QuartzClusterNodes(Path work, String tablePrefixLetter) {
        this.work = work;
        this.tablePrefix = tablePrefixLetter + UUID.randomUUID().toString().replace("-", "").substring(0, 8) + "_";
    }

    /** Starts node {@code node} with the cluster settings plus {@code env}, and waits until it is live. */
    public Process start(String node, Map<String, String> env) throws Exception {
        int managementPort = freePort();
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.convexpipeline.PipelineCli", "serve")
                .directory(new File(System.getProperty("user.dir")))
                .redirectErrorStream(true)
                .redirectOutput(work.resolve(node + ".out").toFile());
        Map<String, String> all = new HashMap<>(Map.of(
                "PIPELINE_HTTP_PORT", String.valueOf(freePort()),
                "MANAGEMENT_HTTP_PORT", String.valueOf(managementPort),
                "QUARTZ_CLUSTERED", "true",
                "QUARTZ_JDBC_URL", JDBC_URL,
                "QUARTZ_TABLE_PREFIX", tablePrefix,
                "QUARTZ_CLUSTER_CHECKIN_MS", "1000"));
        all.putAll(env);
        builder.environment().putAll(all);
        Process process = builder.start();
        processes.add(process);
        await("node " + node + " live").atMost(Duration.ofSeconds(60)).until(() -> live(managementPort) || !process.isAlive());
        if (!process.isAlive()) {
            throw new AssertionError("node " + node + " did not start; its output: " + output(node));
        }
        return process;
    }

    /** What node {@code node} printed so far. */
    public String output(String node) {
        try {
            return Files.readString(work.resolve(node + ".out"));
        } catch (IOException e) {
            return "(none)";
        }
    }

    @Override
    public void close() throws Exception {
        processes.forEach(Process::destroyForcibly);
        for (Process process : processes) {
            process.waitFor();
        }
        try (Connection connection = DriverManager.getConnection(JDBC_URL, "postgres", "");
             Statement statement = connection.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = connection.getMetaData().getTables(null, null, tablePrefix + "%", new String[] {"TABLE"})) {
                while (rs.next()) {
                    tables.add(rs.getString("TABLE_NAME"));
                }
            }
            for (String table : tables) {
                statement.execute("DROP TABLE IF EXISTS " + table + " CASCADE");
            }
        }
    }

    private static boolean live(int managementPort) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + managementPort + "/observe/health/live")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

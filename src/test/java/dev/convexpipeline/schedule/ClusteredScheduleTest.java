package dev.convexpipeline.schedule;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
import java.time.Instant;
import java.util.ArrayList;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two pipeline processes on one PostgreSQL-backed Quartz cluster: a schedule fires once per tick
 * across both, and the survivor keeps firing after the other is killed.
 */
class ClusteredScheduleTest {
    private static final String JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/test";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path work;
    private final String tablePrefix = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 8) + "_";
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void writeTickRoute() throws IOException {
        Files.createDirectories(work.resolve("routes"));
        Files.writeString(work.resolve("routes/tick.camel.yaml"), """
                - route:
                    id: tick
                    from:
                      uri: "quartz:test/tick?cron=0/1+*+*+*+*+?&trigger.misfireInstruction=2"
                      steps:
                        - setBody:
                            simple: "tick ${header.scheduledFireTime.getTime()} "
                        - to: "file:{{env:TEST_FIRE_DIR}}?fileName={{env:TEST_NODE}}.log&fileExist=Append"
                """);
    }

    @AfterEach
    void stopAndDropTables() throws Exception {
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

    @Test
    void aScheduleFiresOnceAcrossInstancesAndTheSurvivorTakesOver() throws Exception {
        Process a = startNode("a");
        Process b = startNode("b");

        waitUntil(Duration.ofSeconds(60), () -> fires("a").size() + fires("b").size() >= 6);
        List<Long> fromA = fires("a");
        List<Long> fromB = fires("b");
        List<Long> all = new ArrayList<>(fromA);
        all.addAll(fromB);
        assertThat(all).as("each scheduled tick fired on exactly one instance").doesNotHaveDuplicates();

        a.destroyForcibly().waitFor();
        long killedAt = System.currentTimeMillis();
        waitUntil(Duration.ofSeconds(40), () -> fires("b").stream().anyMatch(t -> t > killedAt + 1000));
        assertThat(b.isAlive()).isTrue();
        List<Long> afterKill = fires("b").stream().filter(t -> t > killedAt + 1000).toList();
        assertThat(afterKill).as("the survivor fires after the other instance died").isNotEmpty();
        assertThat(fires("b")).doesNotHaveDuplicates();
    }

    private Process startNode(String node) throws Exception {
        int port = freePort();
        int managementPort = freePort();
        ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "dev.convexpipeline.PipelineCli", "serve")
                .directory(new File(System.getProperty("user.dir")))
                .redirectErrorStream(true)
                .redirectOutput(work.resolve(node + ".out").toFile());
        Map<String, String> env = builder.environment();
        env.putAll(Map.of(
                "PIPELINE_ROUTES_DIR", work.resolve("routes").toString(),
                "PIPELINE_HTTP_PORT", String.valueOf(port),
                "MANAGEMENT_HTTP_PORT", String.valueOf(managementPort),
                "QUARTZ_CLUSTERED", "true",
                "QUARTZ_JDBC_URL", JDBC_URL,
                "QUARTZ_TABLE_PREFIX", tablePrefix,
                "QUARTZ_CLUSTER_CHECKIN_MS", "1000",
                "TEST_NODE", node,
                "TEST_FIRE_DIR", work.toString()));
        Process process = builder.start();
        processes.add(process);
        waitUntil(Duration.ofSeconds(60), () -> live(managementPort) || !process.isAlive());
        assertThat(process.isAlive()).as("node %s started; its output: %s", node, output(node)).isTrue();
        return process;
    }

    private String output(String node) {
        try {
            return Files.readString(work.resolve(node + ".out"));
        } catch (IOException e) {
            return "(none)";
        }
    }

    private List<Long> fires(String node) {
        Path log = work.resolve(node + ".log");
        try {
            if (!Files.exists(log)) {
                return List.of();
            }
            return java.util.Arrays.stream(Files.readString(log).split("tick ")).map(String::strip).filter(t -> !t.isEmpty())
                    .map(Long::parseLong).toList();
        } catch (IOException e) {
            return List.of();
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

    private static void waitUntil(Duration timeout, java.util.function.BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("condition not met within " + timeout);
            }
            Thread.sleep(200);
        }
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

}

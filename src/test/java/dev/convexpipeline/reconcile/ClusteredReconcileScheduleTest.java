package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.convexpipeline.reconcile.FakeStripe.subscription;
import static dev.convexpipeline.reconcile.ReconcileFixture.DAY;
import static dev.convexpipeline.reconcile.ReconcileFixture.now;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two pipeline processes (the real routes and configuration) on one PostgreSQL-backed Quartz
 * cluster: the reconcile schedule fires once per tick across both, runs complete in Convex, and
 * after one process is killed the survivor keeps firing it.
 */
class ClusteredReconcileScheduleTest {
    private static final String JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/test";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern FIRED = Pattern.compile("Reconcile schedule fired \\(scheduled for (\\d+)\\)");

    @TempDir
    Path work;
    private final String tablePrefix = "r" + UUID.randomUUID().toString().replace("-", "").substring(0, 8) + "_";
    private final List<Process> processes = new ArrayList<>();
    private ReconcileFixture fx;

    @BeforeEach
    void seed() throws Exception {
        fx = new ReconcileFixture();
        String user = fx.linkedUser("user-1", "cus_1");
        fx.stripe.put(subscription("sub_1", "cus_1", "active", "price_pro", "pro_monthly", now() - DAY, now() + 20 * DAY, false));
        fx.entitlement(user, "sub_1", "cus_1", "basic", "active", now() + 20 * DAY, false, now() - 2 * DAY);
    }

    @AfterEach
    void stopAndDropTables() throws Exception {
        processes.forEach(Process::destroyForcibly);
        for (Process process : processes) {
            process.waitFor();
        }
        fx.close();
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
    void theReconcileScheduleFiresOnceAcrossInstancesAndTheSurvivorTakesOver() throws Exception {
        Process a = startNode("a");
        Process b = startNode("b");

        waitUntil(Duration.ofSeconds(60), () -> fires("a").size() + fires("b").size() >= 4);
        List<Long> all = new ArrayList<>(fires("a"));
        all.addAll(fires("b"));
        assertThat(all).as("each scheduled reconcile fired on exactly one instance").doesNotHaveDuplicates();
        waitUntil(Duration.ofSeconds(30), () -> fx.state() != null && fx.state().path("lastCompletedRunId").isTextual());
        assertThat(fx.entitlement("sub_1").path("tier").asText()).as("the scheduled run repaired the drift").isEqualTo("pro");

        a.destroyForcibly().waitFor();
        long killedAt = System.currentTimeMillis();
        waitUntil(Duration.ofSeconds(40), () -> fires("b").stream().anyMatch(t -> t > killedAt + 1000));
        assertThat(b.isAlive()).isTrue();
        assertThat(fires("b")).doesNotHaveDuplicates();
        String lastRun = fx.state().path("lastCompletedRunId").asText();
        waitUntil(Duration.ofSeconds(30), () -> {
            JsonNode state = fx.state();
            return !state.path("lastCompletedRunId").asText().equals(lastRun);
        });
        assertThat(fx.state().path("owner").asText()).as("the survivor ran it").startsWith(b.pid() + "@");
    }

    private Process startNode(String node) throws Exception {
        int managementPort = freePort();
        ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "dev.convexpipeline.PipelineCli", "serve")
                .directory(new File(System.getProperty("user.dir")))
                .redirectErrorStream(true)
                .redirectOutput(work.resolve(node + ".out").toFile());
        Map<String, String> env = new HashMap<>();
        env.put("PIPELINE_HTTP_PORT", String.valueOf(freePort()));
        env.put("MANAGEMENT_HTTP_PORT", String.valueOf(managementPort));
        env.put("QUARTZ_CLUSTERED", "true");
        env.put("QUARTZ_JDBC_URL", JDBC_URL);
        env.put("QUARTZ_TABLE_PREFIX", tablePrefix);
        env.put("QUARTZ_CLUSTER_CHECKIN_MS", "1000");
        env.put("CONVEX_URL", fx.emulator.url());
        env.put("CONVEX_SERVICE_TOKEN", fx.emulator.adminKey());
        env.put("STRIPE_SECRET_KEY", FakeStripe.API_KEY);
        env.put("STRIPE_TIER_MAPPING", ReconcileFixture.TIER_MAPPING);
        env.put("RECONCILE_STRIPE_API_BASE", fx.stripe.apiBase());
        env.put("RECONCILE_CRON", "0/2 * * * * ?");
        // Each instance's runs are short; a killed instance's run is resumed after this lease.
        env.put("RECONCILE_LEASE_MS", "3000");
        builder.environment().putAll(env);
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
        List<Long> fires = new ArrayList<>();
        Matcher m = FIRED.matcher(output(node));
        while (m.find()) {
            fires.add(Long.parseLong(m.group(1)));
        }
        return fires;
    }

    private static boolean live(int managementPort) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/observe/health/live"))
                    .build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
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

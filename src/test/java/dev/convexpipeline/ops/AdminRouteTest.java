package dev.convexpipeline.ops;

import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.apache.camel.test.main.junit5.Configure;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * routes/admin.camel.yaml served by {@link AdminApiBridge} on Camel's management server (Camel's main test
 * kit): a declared operation runs its route end to end, the same path with another method is 405 naming
 * the declared one, an undeclared path 404. The operations' beans are stand-ins: the routes are under test.
 */
@CamelMainTest
class AdminRouteTest {
    private static final String TOKEN = "route-test-admin-token";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final int managementPort = freePort();
    private final StandIn standIn = new StandIn();
    @BindToRegistry("backups")
    private final StandIn backups = standIn;
    @BindToRegistry("pipelineStatus")
    private final StandIn pipelineStatus = standIn;
    @BindToRegistry("stripeOperations")
    private final StandIn stripeOperations = standIn;
    @BindToRegistry("reconcileOperations")
    private final StandIn reconcileOperations = standIn;
    @BindToRegistry("migrations")
    private final StandIn migrations = standIn;

    @BeanInject
    CamelContext context;

    @Configure
    void configure(MainConfigurationProperties configuration) {
        configuration.withRoutesIncludePattern("file:routes/admin.camel.yaml");
        configuration.httpManagementServer().withEnabled(true).withHost("127.0.0.1").withPort(managementPort);
    }

    @Test
    void aDeclaredOperationRunsItsRouteAndAnotherMethodOnItsPathIs405() throws Exception {
        new AdminApiBridge(context, new AdminToken(TOKEN), 5).mount();
        NotifyBuilder ran = new NotifyBuilder(context).fromRoute("admin-backup-run").whenCompleted(1).create();

        HttpResponse<String> run = send("POST", "/admin/backup/run");

        assertThat(run.statusCode()).isEqualTo(200);
        assertThat(run.body()).contains("\"backupId\":\"stand-in-1\"");
        assertThat(ran.matches(5, TimeUnit.SECONDS)).as("answered by the admin-backup-run route").isTrue();

        HttpResponse<String> wrongMethod = send("GET", "/admin/backup/run");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).contains("POST");
        assertThat(wrongMethod.body()).contains("/admin/backup/run takes POST, not GET");
        assertThat(standIn.backupRuns).as("the 405 ran nothing").hasValue(1);

        HttpResponse<String> undeclared = send("POST", "/admin/backup/nothing-here");
        assertThat(undeclared.statusCode()).isEqualTo(404);
        assertThat(undeclared.body()).contains("No admin endpoint POST /admin/backup/nothing-here");
    }

    private HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Has every bean method routes/admin.camel.yaml names; counts the backups it was asked to run. */
    public static final class StandIn {
        final AtomicInteger backupRuns = new AtomicInteger();

        public Map<String, Object> run() {
            return Map.of("backupId", "stand-in-" + backupRuns.incrementAndGet());
        }

        // Camel checks at start that every bean method a route names exists; only run is called here.
        public Map<String, Object> status() {
            return Map.of("standIn", "status");
        }

        public Map<String, Object> list() {
            return Map.of("standIn", "list");
        }

        public Map<String, Object> verify() {
            return Map.of("standIn", "verify");
        }

        public Map<String, Object> prune() {
            return Map.of("standIn", "prune");
        }

        public Map<String, Object> listForAdmin() {
            return Map.of("standIn", "listForAdmin");
        }

        public Map<String, Object> reapplyForAdmin() {
            return Map.of("standIn", "reapplyForAdmin");
        }

        public Map<String, Object> claimForAdmin() {
            return Map.of("standIn", "claimForAdmin");
        }

        public Map<String, Object> dryRunForAdmin() {
            return Map.of("standIn", "dryRunForAdmin");
        }

        public Map<String, Object> startedForAdmin() {
            return Map.of("standIn", "startedForAdmin");
        }

        public Map<String, Object> refusedForAdmin() {
            return Map.of("standIn", "refusedForAdmin");
        }

        public Map<String, Object> lastForAdmin() {
            return Map.of("standIn", "lastForAdmin");
        }

        public Map<String, Object> startForAdmin() {
            return Map.of("standIn", "startForAdmin");
        }

        public Map<String, Object> statusForAdmin() {
            return Map.of("standIn", "statusForAdmin");
        }
    }
}

package dev.convexpipeline.ops;

import dev.convexpipeline.Audit;
import dev.convexpipeline.PipelineCli;
import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.testing.CapturedLogs;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Operator actions leave one audit line each, never the token; guessing the admin token is throttled. */
class AdminAuditTest {
    private static final String TOKEN = "audit-admin-token-456";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void adminRequestsAreAuditedWithATokenFingerprintAndFailedAuthenticationsAreThrottled() throws Exception {
        int management = freePort();
        try (PipelineRuntime pipeline = PipelineRuntime.create(Path.of("config/application.properties"), Map.of(
                "camel.server.port", String.valueOf(freePort()),
                "camel.management.port", String.valueOf(management),
                "convex.url", "http://127.0.0.1:" + freePort(),
                "admin.token", TOKEN,
                "admin.max-auth-failures-per-minute", "3")).start();
             CapturedLogs logs = new CapturedLogs()) {
            assertThat(get(management, "/admin/status?verbose=1", TOKEN).statusCode()).isEqualTo(200);
            assertThat(logs.text()).contains("audit action=\"GET /admin/status\" target=\"verbose=1\" outcome=\"200\" actor=\"token "
                    + Audit.fingerprint(TOKEN) + " from 127.0.0.1\"").doesNotContain(TOKEN);

            for (int i = 0; i < 3; i++) {
                assertThat(get(management, "/admin/backup/list", "guess-" + i).statusCode()).isEqualTo(401);
            }
            HttpResponse<String> throttled = get(management, "/admin/status", TOKEN);
            assertThat(throttled.statusCode()).as("after 3 failures even the right token waits").isEqualTo(429);
            assertThat(throttled.headers().firstValue("Retry-After")).contains("60");
            assertThat(logs.text()).contains("outcome=\"401 unauthenticated\" actor=\"token " + Audit.fingerprint("guess-0"))
                    .doesNotContain("guess-0\"");
        }
    }

    @Test
    void aCliActionIsAuditedWithItsOutcome() {
        try (CapturedLogs logs = new CapturedLogs()) {
            StringWriter sink = new StringWriter();
            PipelineCli.commandLine().setOut(new PrintWriter(sink)).setErr(new PrintWriter(sink))
                    .execute("backup", "verify", "20990101T000000Z", "--config", "config/application.properties");
            assertThat(logs.text()).contains("audit action=\"backup verify\" target=\"20990101T000000Z\" outcome=\"failed: ")
                    .contains("actor=\"cli user ");
        }
    }

    private static HttpResponse<String> get(int port, String path, String token) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

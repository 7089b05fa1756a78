package dev.convexpipeline.ops;

import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.testing.CapturedLogs;
import dev.convexpipeline.testing.ConvexEmulatorExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ConvexReadinessTest {
    @RegisterExtension
    static final ConvexEmulatorExtension convex = ConvexEmulatorExtension.ephemeral();

    @Test
    void readyWhenConvexAcceptsTheKey() throws Exception {
        try (PipelineRuntime pipeline = pipelineWithKey(convex.adminKey())) {
            HttpResponse<String> ready = ready(pipeline);
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        }
    }

    /**
     * A freshly installed backend nobody deployed the functions to (the emulator's --bare): the key
     * is fine, but every webhook would fail. Readiness names the missing contract and the command
     * that fixes it, /admin/status shows the same, and the log says it once, not per probe.
     */
    @Test
    void downNamingTheDeployCommandWhenTheFunctionsAreNotDeployed() throws Exception {
        String token = "readiness-test-token";
        try (ConvexEmulator bare = ConvexEmulator.bare(ConvexEmulator.Config.ephemeral()).start();
             CapturedLogs logs = new CapturedLogs();
             PipelineRuntime pipeline = PipelineRuntime.create(Path.of("config/application.properties"), Map.of(
                     "camel.server.port", String.valueOf(ManagementEndpointsTest.freePort()),
                     "camel.management.port", String.valueOf(ManagementEndpointsTest.freePort()),
                     "convex.url", bare.url(),
                     "convex.admin-key", bare.adminKey(),
                     "admin.token", token)).start()) {
            for (int probe = 0; probe < 3; probe++) {
                HttpResponse<String> ready = ready(pipeline);
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body()).contains("pipeline:contract").contains("npx convex deploy");
            }
            HttpResponse<String> status = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + pipeline.managementPort() + "/admin/status"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(status.body()).contains("\"ready\":false").contains("npx convex deploy");
            assertThat(logs.text().lines().filter(line -> line.contains("Readiness DOWN"))
                    .filter(line -> line.contains("npx convex deploy")))
                    .as("the reason is logged once, however often readiness is probed").hasSize(1);
        }
    }

    @Test
    void downWithTheReasonWhenTheKeyIsRejected() throws Exception {
        String wrongKey = "convex-self-hosted|0123456789abcdef";
        try (PipelineRuntime pipeline = pipelineWithKey(wrongKey)) {
            HttpResponse<String> ready = ready(pipeline);
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).containsIgnoringCase("admin key").doesNotContain(wrongKey);
        }
    }

    @Test
    void downWithTheReasonWhenConvexIsUnreachable() throws Exception {
        try (PipelineRuntime pipeline = PipelineRuntime.create(Path.of("config/application.properties"), Map.of(
                "camel.server.port", String.valueOf(ManagementEndpointsTest.freePort()),
                "camel.management.port", String.valueOf(ManagementEndpointsTest.freePort()),
                "convex.url", "http://127.0.0.1:" + ManagementEndpointsTest.freePort(),
                "convex.admin-key", convex.adminKey())).start()) {
            HttpResponse<String> ready = ready(pipeline);
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("convex").contains("not usable");
        }
    }

    private static PipelineRuntime pipelineWithKey(String key) throws Exception {
        return PipelineRuntime.create(Path.of("config/application.properties"), Map.of(
                "camel.server.port", String.valueOf(ManagementEndpointsTest.freePort()),
                "camel.management.port", String.valueOf(ManagementEndpointsTest.freePort()),
                "convex.url", convex.url(),
                "convex.admin-key", key)).start();
    }

    private static HttpResponse<String> ready(PipelineRuntime pipeline) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + pipeline.managementPort() + "/observe/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}

package dev.convexpipeline.ops;

import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ConvexReadinessTest {
    private static ConvexEmulator emulator;

    @BeforeAll
    static void startEmulator() {
        emulator = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
    }

    @AfterAll
    static void stopEmulator() {
        emulator.close();
    }

    @Test
    void readyWhenConvexAcceptsTheKey() throws Exception {
        try (PipelineRuntime pipeline = pipelineWithKey(emulator.adminKey())) {
            HttpResponse<String> ready = ready(pipeline);
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
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
                "convex.admin-key", emulator.adminKey())).start()) {
            HttpResponse<String> ready = ready(pipeline);
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("convex").contains("not usable");
        }
    }

    private static PipelineRuntime pipelineWithKey(String key) throws Exception {
        return PipelineRuntime.create(Path.of("config/application.properties"), Map.of(
                "camel.server.port", String.valueOf(ManagementEndpointsTest.freePort()),
                "camel.management.port", String.valueOf(ManagementEndpointsTest.freePort()),
                "convex.url", emulator.url(),
                "convex.admin-key", key)).start();
    }

    private static HttpResponse<String> ready(PipelineRuntime pipeline) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + pipeline.managementPort() + "/observe/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}

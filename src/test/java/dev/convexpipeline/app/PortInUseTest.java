package dev.convexpipeline.app;

import dev.convexpipeline.PipelineCli;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A listener that cannot bind ends the start with its reason; nothing keeps running half-bound. */
class PortInUseTest {
    private static final Path CONFIG = Path.of("config/application.properties");

    @Test
    void aTakenPublicPortFailsTheStartAndNamesThePort() throws Exception {
        int management = freePort();
        try (ServerSocket taken = new ServerSocket(0)) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> PipelineRuntime.create(CONFIG, Map.of(
                    "camel.server.port", String.valueOf(port),
                    "camel.management.port", String.valueOf(management),
                    "convex.url", "http://127.0.0.1:" + freePort())).start())
                    .hasMessageContaining("public HTTP port")
                    .hasMessageContaining(String.valueOf(port))
                    .hasMessageContaining("PIPELINE_HTTP_PORT");
        }
        // Nothing was left listening: the management port is free again.
        assertThat(listening(management)).isFalse();
    }

    @Test
    void aTakenManagementPortFailsTheStartAndNamesThePort() throws Exception {
        int publicPort = freePort();
        try (ServerSocket taken = new ServerSocket(0)) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> PipelineRuntime.create(CONFIG, Map.of(
                    "camel.server.port", String.valueOf(publicPort),
                    "camel.management.port", String.valueOf(port),
                    "convex.url", "http://127.0.0.1:" + freePort())).start())
                    .hasMessageContaining("management port")
                    .hasMessageContaining(String.valueOf(port))
                    .hasMessageContaining("MANAGEMENT_HTTP_PORT");
        }
        assertThat(listening(publicPort)).isFalse();
    }

    @Test
    void serveEndsWithOneLineAndANonZeroExitWhenItsPortIsTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            ProcessBuilder serve = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), PipelineCli.class.getName(), "serve");
            serve.environment().put("PIPELINE_HTTP_PORT", String.valueOf(taken.getLocalPort()));
            serve.environment().put("MANAGEMENT_HTTP_PORT", String.valueOf(freePort()));
            serve.environment().put("CONVEX_URL", "http://127.0.0.1:" + freePort());
            serve.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            Process process = serve.start();
            String stderr = new String(process.getErrorStream().readAllBytes());
            assertThat(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isEqualTo(1);
            String lastLine = stderr.strip().lines().reduce((first, second) -> second).orElse("");
            assertThat(lastLine).startsWith("serve failed: public HTTP port 0.0.0.0:" + taken.getLocalPort()
                    + " could not be bound");
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

package dev.convexpipeline.emulator;

import dev.convexpipeline.convex.ConvexAuthException;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.ConvexFunctionException;
import dev.convexpipeline.convex.ExportOptions;
import dev.convexpipeline.retry.RetryPolicy;
import dev.convexpipeline.emulator.functions.DeploymentState;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.convexpipeline.testing.ConvexEmulatorExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** pause_deployment / unpause_deployment: user functions stop with the backend's error; system work goes on. */
class EmulatorPauseTest {
    @RegisterExtension
    final ConvexEmulatorExtension convex = ConvexEmulatorExtension.ephemeral();
    private ConvexClient client;

    @BeforeEach
    void start() {
        client = new ConvexClient(ConvexClientConfig.of(convex.url(), convex.adminKey()));
        convex.emulator().insert("users", JsonNodeFactory.instance.objectNode().put("name", "Ada"));
    }

    @AfterEach
    void stop() {
        client.close();
    }

    @Test
    void whilePausedUserFunctionsFailButExportAndSystemQueriesRun() {
        client.pauseDeployment();
        client.pauseDeployment();

        assertThatThrownBy(() -> client.query("users:list", JsonNodeFactory.instance.objectNode()))
                .isInstanceOfSatisfying(ConvexFunctionException.class, e -> assertThat(e.errorMessage())
                        .matches("(?s)\\[Request ID: [0-9a-f]+\\] Server Error\\n" + java.util.regex.Pattern.quote(
                                DeploymentState.PAUSED_ERROR_MESSAGE) + "\\n"));
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        assertThat(client.exportSnapshot(zip, ExportOptions.defaults()).bytes()).isPositive();
        assertThat(client.listSnapshot("users").count()).isEqualTo(1);

        client.unpauseDeployment();
        assertThat(client.query("users:list", JsonNodeFactory.instance.objectNode())).hasSize(1);
    }

    @Test
    void pausingNeedsTheAdminKey() {
        try (ConvexClient wrong = new ConvexClient(ConvexClientConfig.of(convex.url(), "convex-self-hosted|" + "00".repeat(32))
                .withRetryPolicy(RetryPolicy.noRetries()))) {
            assertThatThrownBy(wrong::pauseDeployment).isInstanceOf(ConvexAuthException.class);
        }
        assertThat(client.query("users:list", JsonNodeFactory.instance.objectNode())).hasSize(1);
    }
}

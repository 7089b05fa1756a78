package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.ConvexContract;
import dev.convexpipeline.convex.ConvexFunctionException;
import dev.convexpipeline.convex.ConvexValues;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code emulator --bare} is a self-hosted backend before its first deploy: the HTTP API and the
 * admin key work, the application's functions do not exist, and calling one gets the backend's own
 * answer (HTTP 200, status error, "Could not find public function for '…'.", no errorData).
 */
class EmulatorBareTest {
    @Test
    void aMissingFunctionGetsTheBackendsOwnError() throws Exception {
        try (ConvexEmulator bare = ConvexEmulator.bare(ConvexEmulator.Config.ephemeral()).start()) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(bare.url() + "/api/mutation"))
                    .header("Authorization", "Convex " + bare.adminKey())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"path\":\"stripe:applyEvent\",\"args\":{},\"format\":\"json\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode body = ConvexValues.parse(response.body());
            assertThat(body.path("status").asText()).isEqualTo("error");
            assertThat(body.has("errorData")).isFalse();
            assertThat(body.path("errorMessage").asText())
                    .matches("(?s)\\[Request ID: [0-9a-f]+] Server Error\nCould not find public function for 'stripe:applyEvent'\\.\n");
        }
    }

    @Test
    void theAdminKeyWorksButNoContractFunctionExists() {
        try (ConvexEmulator bare = ConvexEmulator.bare(ConvexEmulator.Config.ephemeral()).start();
             ConvexClient client = new ConvexClient(ConvexClientConfig.of(bare.url(), bare.adminKey()))) {
            assertThat(client.checkAdminKey().readOnly()).isFalse();
            for (String function : ConvexContract.FUNCTIONS) {
                assertThatThrownBy(() -> client.query(function, JsonNodeFactory.instance.objectNode()))
                        .isInstanceOf(ConvexFunctionException.class)
                        .hasMessageContaining("Could not find public function for '" + function + "'.")
                        .hasMessageContaining("npx convex deploy");
            }
        }
    }

    @Test
    void theNormalEmulatorAnswersTheContract() throws IOException {
        try (ConvexEmulator emulator = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
             ConvexClient client = new ConvexClient(ConvexClientConfig.of(emulator.url(), emulator.adminKey()))) {
            JsonNode contract = client.query(ConvexContract.CONTRACT_FUNCTION, JsonNodeFactory.instance.objectNode());
            assertThat(contract.path("version").asLong()).isEqualTo(ConvexContract.VERSION);
            List<String> listed = new ArrayList<>();
            contract.path("functions").forEach(function -> listed.add(function.asText()));
            assertThat(listed).isEqualTo(ConvexContract.FUNCTIONS).isEqualTo(documentedFunctions());
        }
    }

    /** The function headings of docs/convex-contract.md, in order. */
    private static List<String> documentedFunctions() throws IOException {
        Matcher headings = Pattern.compile("(?m)^### `([a-z]+:[A-Za-z]+)` \\((query|mutation)\\)$")
                .matcher(Files.readString(Path.of("docs/convex-contract.md")));
        List<String> functions = new ArrayList<>();
        while (headings.find()) {
            functions.add(headings.group(1));
        }
        return functions;
    }
}

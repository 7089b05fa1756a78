package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.testing.ConvexEmulatorExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/** Root routes, admin-key errors and their order, function call results (docs/convex-wire.md §1, §6, §7). */
class EmulatorRoutesTest {
    private static final String JSON = "application/json";
    @RegisterExtension
    static final ConvexEmulatorExtension convex = ConvexEmulatorExtension.ephemeral();
    private static final EmulatorClient client = new EmulatorClient(convex);

    @Test
    void rootRoutesAnswerLikeASelfHostedBackend() {
        assertThat(client.get("/version").body()).isEqualTo("unknown");
        assertThat(client.get("/instance_version").body()).isEqualTo("unknown");
        assertThat(client.get("/instance_name").body()).isEqualTo("convex-self-hosted");
        assertThat(client.get("/").body()).isEqualTo("This Convex deployment is running. See https://docs.convex.dev/.");
        assertThat(client.post("/echo", "ping", "Content-Type", "text/plain").body()).isEqualTo("ping");
        EmulatorClient.Response missing = client.get("/nope");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body()).isEmpty();
    }

    @Test
    void generatedAdminKeyHasTheRealLayout() {
        assertThat(convex.adminKey()).matches("convex-self-hosted\\|01[0-9a-f]{88}");
    }

    @Test
    void shortAuthorizationHeaderIsInvalidHeaderFailure() {
        assertQueryAnswers("Conv", 400, "{\"code\":\"InvalidHeaderFailure\",\"message\":\"Invalid authentication header\"}");
    }

    @Test
    void unknownAuthorizationSchemeIsInvalidAdminKey() {
        assertQueryAnswers("Basic abcdefgh", 400, "{\"code\":\"InvalidAdminKey\",\"message\":\"Invalid admin key\"}");
    }

    @Test
    void wrongKeyIsBadAdminKeyEvenForPublicFunctions() {
        assertQueryAnswers("Convex convex-self-hosted|01deadbeef", 401,
                "{\"code\":\"BadAdminKey\",\"message\":\"The provided admin key was invalid for this instance\"}");
    }

    @Test
    void headerErrorsComeBeforeBodyErrorsWhichComeBeforePathAndKeyErrors() {
        EmulatorClient.Response headerFirst = client.post("/api/query", "not json", "Authorization", "x");
        assertThat(headerFirst.json().get("code").asText()).isEqualTo("InvalidHeaderFailure");

        EmulatorClient.Response bodyBeforeKey = client.post("/api/query", "{\"path\":\"users:list\",\"args\":{}}",
                "Content-Type", "text/plain", "Authorization", "Convex wrong");
        assertThat(bodyBeforeKey.status()).isEqualTo(400);
        assertThat(bodyBeforeKey.body()).isEqualTo(
                "{\"code\":\"BadJsonBody\",\"message\":\"Expected request with `Content-Type: application/json`\"}");

        EmulatorClient.Response pathBeforeKey = client.post("/api/query", "{\"path\":\"a:b:c\",\"args\":{}}",
                "Content-Type", JSON, "Authorization", "Convex wrong");
        assertThat(pathBeforeKey.status()).isEqualTo(400);
        assertThat(pathBeforeKey.json().get("code").asText()).isEqualTo("BadConvexFunctionIdentifier");
        assertThat(pathBeforeKey.json().get("message").asText()).startsWith("a:b:c is not a valid path to a Convex function. ");

        EmulatorClient.Response missingField = client.post("/api/query", "{\"args\":{}}",
                "Content-Type", JSON, "Authorization", "Convex wrong");
        assertThat(missingField.json().get("message").asText())
                .startsWith("Failed to deserialize the JSON body into the target type: missing field `path`");
    }

    @Test
    void adminRoutesCheckTheKeyBeforeTheBody() {
        EmulatorClient.Response noKey = client.post("/api/perform_import", "garbage", "Content-Type", "text/plain");
        assertThat(noKey.status()).isEqualTo(403);
        assertThat(noKey.body()).isEqualTo("{\"code\":\"BadDeployKey\",\"message\":\"The provided deploy key was invalid "
                + "for this deployment. Double check that the environment this key was generated for matches the desired deployment.\"}");
        EmulatorClient.Response badKey = client.post("/api/perform_import", "garbage",
                "Content-Type", "text/plain", "Authorization", "Convex nope");
        assertThat(badKey.status()).isEqualTo(401);
        assertThat(badKey.json().get("code").asText()).isEqualTo("BadAdminKey");
    }

    @Test
    void checkAdminKeyReportsPermissions() {
        EmulatorClient.Response ok = client.get("/api/check_admin_key", "Authorization", "convex " + client.adminKey());
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().get("success").asBoolean()).isTrue();
        assertThat(ok.json().get("isReadOnly").asBoolean()).isFalse();
        assertThat(ok.json().get("allowedOps").isArray()).as("an empty list means every operation").isTrue();
        assertThat(ok.json().get("allowedOps")).isEmpty();
        assertThat(client.get("/api/check_admin_key").status()).isEqualTo(403);
        assertThat(client.get("/api/check_admin_key", "Authorization", "Convex nope").status()).isEqualTo(401);
        assertThat(client.get("/api/check_admin_key?adminKey=" + java.net.URLEncoder.encode(client.adminKey(),
                java.nio.charset.StandardCharsets.UTF_8)).status()).isEqualTo(200);
    }

    @Test
    void typePrefixAndActingUserSuffixAreAccepted() {
        String key = client.adminKey();
        assertThat(client.get("/api/check_admin_key", "Authorization", "Convex prod:" + key).status()).isEqualTo(200);
        assertThat(client.get("/api/check_admin_key", "Authorization", "Convex " + key + ":e30=").status()).isEqualTo(200);
        EmulatorClient.Response malformed = client.get("/api/check_admin_key", "Authorization", "Convex " + key + ":%%%");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.json().get("code").asText()).isEqualTo("HeaderParseFailure");
    }

    @Test
    void internalFunctionsNeedTheAdminKey() {
        EmulatorClient.Response anonymous = client.post("/api/query", "{\"path\":\"users:list\",\"args\":{}}",
                "Content-Type", JSON);
        assertThat(anonymous.status()).isEqualTo(200);
        assertThat(anonymous.json().get("status").asText()).isEqualTo("error");
        assertThat(anonymous.json().get("errorMessage").asText())
                .matches("(?s)\\[Request ID: [0-9a-f]{16}\\] Server Error\nCould not find public function for 'users:list'\\.\n");
        EmulatorClient.Response system = client.post("/api/query", "{\"path\":\"_system/cli/queryImport:list\",\"args\":{}}",
                "Content-Type", JSON);
        assertThat(system.json().get("status").asText()).isEqualTo("error");
    }

    @Test
    void mutationAndQueryRoundTripWithFormats() {
        JsonNode inserted = client.call("mutation", "users:upsert", "{\"authSubject\":\"routes|format\",\"email\":\"f@x\"}", null);
        assertThat(inserted.get("status").asText()).isEqualTo("success");
        assertThat(inserted.has("logLines")).isFalse();
        String id = inserted.get("value").asText();
        JsonNode counts = client.call("query", "ops:tableCounts", "{}", null);
        assertThat(counts.get("value").get("users").isTextual()).as("clean json: int64 as string").isTrue();
        JsonNode encoded = client.call("query", "ops:tableCounts", "[{}]", "convex_encoded_json");
        assertThat(encoded.get("value").get("users").has("$integer")).isTrue();
        JsonNode exportJson = client.call("query", "users:getByAuthSubject", "{\"authSubject\":\"routes|format\"}", "export_json");
        assertThat(exportJson.get("value").get("_id").asText()).isEqualTo(id);
        assertThat(exportJson.get("value").get("_creationTime").isDouble()).isTrue();
    }

    @Test
    void convexErrorCarriesErrorData() {
        JsonNode response = client.call("mutation", "users:linkStripeCustomer",
                "{\"userId\":\"nope\",\"stripeCustomerId\":\"cus_1\"}", null);
        assertThat(response.get("status").asText()).isEqualTo("error");
        assertThat(response.get("errorMessage").asText())
                .startsWith("[Request ID: ").contains("] Server Error\nUncaught ConvexError: {\"code\":\"USER_NOT_FOUND\"");
        assertThat(response.get("errorData").get("code").asText()).isEqualTo("USER_NOT_FOUND");
        assertThat(response.get("errorData").get("userId").asText()).isEqualTo("nope");
    }

    @Test
    void unknownFunctionAndWrongKindAreFunctionErrors() {
        JsonNode unknown = client.call("query", "messages:nope", "{}", null);
        assertThat(unknown.get("errorMessage").asText()).endsWith("Could not find public function for 'messages:nope'.\n");
        JsonNode wrongKind = client.call("mutation", "users:list", "{}", null);
        assertThat(wrongKind.get("errorMessage").asText())
                .endsWith("Trying to execute users.js:list as Mutation, but it is defined as Query.\n");
        EmulatorClient.Response run = client.adminJson("/api/run/messages/nope", "{\"args\":{}}");
        assertThat(run.json().get("errorMessage").asText())
                .endsWith("Could not find function for 'messages:nope'. Did you forget to run `npx convex dev`?\n");
        EmulatorClient.Response missingIdentifier = client.adminJson("/api/run/list", "{\"args\":{}}");
        assertThat(missingIdentifier.status()).isEqualTo(400);
        assertThat(missingIdentifier.json().get("code").asText()).isEqualTo("MissingIdentifier");
    }

    @Test
    void badFormatIsRejectedAfterExecution() {
        EmulatorClient.Response response = client.adminJson("/api/mutation",
                "{\"path\":\"users:upsert\",\"args\":{\"authSubject\":\"routes|badformat\"},\"format\":\"xml\"}");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body()).isEqualTo("{\"code\":\"BadFormat\",\"message\":\"format param must be one of [`json`]. Got xml\"}");
        JsonNode user = client.call("query", "users:getByAuthSubject", "{\"authSubject\":\"routes|badformat\"}", null);
        assertThat(user.get("value").isObject()).as("the mutation ran before the format was checked").isTrue();
    }

    @Test
    void functionRouteRequiresAdminAndRunAcceptsPathSegments() {
        EmulatorClient.Response anonymous = client.post("/api/function", "{\"path\":\"users:list\",\"args\":{}}",
                "Content-Type", JSON);
        assertThat(anonymous.status()).isEqualTo(403);
        EmulatorClient.Response admin = client.adminJson("/api/function", "{\"path\":\"users.js:list\",\"args\":[{}]}");
        assertThat(admin.json().get("status").asText()).isEqualTo("success");
        EmulatorClient.Response run = client.adminJson("/api/run/users/list", "{\"args\":{}}");
        assertThat(run.json().get("status").asText()).isEqualTo("success");
    }

    @Test
    void queryTimestampsAndBatches() {
        EmulatorClient.Response ts = client.adminJson("/api/query_ts", null);
        assertThat(ts.status()).isEqualTo(200);
        String encodedTs = ts.json().get("ts").asText();
        EmulatorClient.Response atTs = client.adminJson("/api/query_at_ts",
                "{\"path\":\"ops:tableCounts\",\"args\":{},\"ts\":\"" + encodedTs + "\"}");
        assertThat(atTs.json().get("status").asText()).isEqualTo("success");
        EmulatorClient.Response batch = client.adminJson("/api/query_batch",
                "{\"queries\":[{\"path\":\"users:list\",\"args\":{}},{\"path\":\"nope:x\",\"args\":{}}]}");
        assertThat(batch.json().get("results")).hasSize(2);
        assertThat(batch.json().get("results").get(1).get("status").asText()).isEqualTo("error");
    }

    @Test
    void actionsRunOtherFunctionsAndLogLinesAreReturned() {
        convex.emulator().functions().action("greet:hello", (ctx, args) -> {
            ctx.log("hello");
            ctx.runMutation("users:upsert", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                    .put("authSubject", "routes|action"));
            return ctx.runQuery("users:getByAuthSubject", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                    .objectNode().put("authSubject", "routes|action")).get("authSubject");
        });
        JsonNode response = client.call("action", "greet:hello", "{}", null);
        assertThat(response.get("status").asText()).isEqualTo("success");
        assertThat(response.get("value").asText()).isEqualTo("routes|action");
        assertThat(response.get("logLines").get(0).asText()).isEqualTo("[LOG] 'hello'");
        JsonNode asQuery = client.call("query", "greet:hello", "{}", null);
        assertThat(asQuery.get("errorMessage").asText()).endsWith("Trying to execute greet.js:hello as Query, but it is defined as Action.\n");
    }

    @Test
    void everyIdDecodesAndCarriesItsTableNumber() {
        convex.emulator().runMutation("users:upsert", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                .put("authSubject", "routes|ids"));
        int usersNumber = convex.emulator().store().latest().table("users").orElseThrow().number();
        assertThat(usersNumber).isGreaterThanOrEqualTo(10001);
        assertThat(convex.emulator().documents("users"))
                .anySatisfy(doc -> assertThat(doc.path("authSubject").asText()).as("the user just written").isEqualTo("routes|ids"))
                .allSatisfy(doc -> assertThat(dev.convexpipeline.convex.ConvexIds.decode(doc.get("_id").asText()).tableNumber())
                        .isEqualTo(usersNumber));
    }

    /** {@code users:list} called with this Authorization header answers exactly {@code status} and {@code body}. */
    private static void assertQueryAnswers(String authorization, int status, String body) {
        EmulatorClient.Response response = client.post("/api/query", "{\"path\":\"users:list\",\"args\":{}}",
                "Content-Type", JSON, "Authorization", authorization);
        assertThat(response.status()).isEqualTo(status);
        assertThat(response.body()).isEqualTo(body);
    }
}

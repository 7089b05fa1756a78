package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Function calls over real HTTP against the emulator, with a fault-injecting proxy in between. */
class ConvexClientFunctionCallTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static ConvexEmulator emulator;

    private FaultInjectingProxy proxy;
    private ConvexClient client;

    @BeforeAll
    static void startEmulator() {
        emulator = TestDeployments.startEmulator();
    }

    @AfterAll
    static void stopEmulator() {
        emulator.stop();
    }

    @BeforeEach
    void startProxy() throws IOException {
        proxy = new FaultInjectingProxy(emulator.url());
        client = TestDeployments.client(proxy.url(), emulator.adminKey());
    }

    @AfterEach
    void stopProxy() {
        client.close();
        proxy.close();
    }

    @Test
    void mutationResultCanBeReadBackByQuery() {
        String subject = "auth|" + UUID.randomUUID();

        JsonNode id = client.mutation("users:upsert", args("authSubject", subject).put("email", "a@example.com"));
        JsonNode user = client.query("users:getByAuthSubject", args("authSubject", subject));

        assertThat(id.isTextual()).isTrue();
        assertThat(ConvexIds.isValid(id.textValue())).isTrue();
        assertThat(user.get("_id")).isEqualTo(id);
        assertThat(user.get("email").textValue()).isEqualTo("a@example.com");
        assertThat(user.get("_creationTime").isFloatingPointNumber()).as("_creationTime is float64").isTrue();
    }

    @Test
    void int64ResultsStayIntegralAndFloatsStayFloating() {
        client.mutation("users:upsert", args("authSubject", "auth|" + UUID.randomUUID()));

        JsonNode counts = client.query("ops:tableCounts", NODES.objectNode());

        assertThat(counts.get("users").isIntegralNumber()).as("counts are int64").isTrue();
        assertThat(counts.get("users").longValue()).isPositive();
    }

    @Test
    void functionErrorCarriesPathMessageAndDecodedErrorData() {
        String first = client.mutation("users:upsert", args("authSubject", "auth|" + UUID.randomUUID())).textValue();
        String second = client.mutation("users:upsert", args("authSubject", "auth|" + UUID.randomUUID())).textValue();
        String customer = "cus_" + UUID.randomUUID();
        client.mutation("users:linkStripeCustomer", args("userId", first).put("stripeCustomerId", customer));

        ConvexFunctionException failure = catchThrowableOfType(ConvexFunctionException.class, () -> client.mutation(
                "users:linkStripeCustomer", args("userId", second).put("stripeCustomerId", customer)));

        assertThat(failure.functionPath()).isEqualTo("users:linkStripeCustomer");
        assertThat(failure.errorCode()).isEqualTo("CUSTOMER_LINKED_ELSEWHERE");
        assertThat(failure.errorData().get("userId").textValue()).isEqualTo(first);
        assertThat(failure.getMessage()).contains("users:linkStripeCustomer").contains("CUSTOMER_LINKED_ELSEWHERE");
        assertThat(proxy.requestCount()).as("function errors are not retried").isEqualTo(4);
    }

    @Test
    void unknownFunctionIsAFunctionErrorWithoutErrorData() {
        ConvexFunctionException failure = catchThrowableOfType(ConvexFunctionException.class,
                () -> client.query("users:doesNotExist", NODES.objectNode()));

        assertThat(failure.errorData()).isNull();
        assertThat(failure.errorMessage()).contains("users:doesNotExist");
    }

    @Test
    void badAdminKeyIsRefusedWithOneRequestAndNoRetry() {
        String wrongKey = "convex-self-hosted|" + "ab".repeat(40);
        try (ConvexClient wrong = TestDeployments.client(proxy.url(), wrongKey)) {
            ConvexAuthException failure = catchThrowableOfType(ConvexAuthException.class,
                    () -> wrong.query("users:list", NODES.objectNode()));

            assertThat(failure.status()).isEqualTo(401);
            assertThat(failure.code()).isEqualTo("BadAdminKey");
            assertThat(failure.getMessage()).contains("admin key").doesNotContain(wrongKey).doesNotContain("abab");
            assertThat(proxy.requestCount()).isEqualTo(1);

            catchThrowableOfType(ConvexAuthException.class, wrong::checkAdminKey);
            assertThat(proxy.requestCount()).isEqualTo(2);
        }
    }

    @Test
    void readinessChecksPassWithTheRightKey() {
        assertThat(client.version()).isNotBlank();
        assertThat(client.checkAdminKey().readOnly()).isFalse();
    }

    @Test
    void serviceUnavailableIsRetriedUntilItSucceeds() {
        proxy.failNext(2, 503, null);

        JsonNode users = client.query("users:list", NODES.objectNode());

        assertThat(users.isArray()).isTrue();
        assertThat(proxy.requestCount()).isEqualTo(3);
    }

    @Test
    void mutationsAreRetriedToo() {
        String subject = "auth|" + UUID.randomUUID();
        proxy.failNext(1, 502, null);

        client.mutation("users:upsert", args("authSubject", subject));

        assertThat(client.query("users:getByAuthSubject", args("authSubject", subject)).isObject()).isTrue();
        assertThat(proxy.requestCount()).isEqualTo(3);
    }

    @Test
    void tooManyRequestsWaitsForRetryAfter() {
        proxy.failNext(1, 429, "1");
        long started = System.nanoTime();

        client.query("users:list", NODES.objectNode());

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(950));
        assertThat(proxy.requestCount()).isEqualTo(2);
    }

    @Test
    void persistentServerErrorsGiveUnavailableNamingUrlAndOperation() {
        proxy.failNext(100, 503, null);

        ConvexUnavailableException failure = catchThrowableOfType(ConvexUnavailableException.class,
                () -> client.query("users:list", NODES.objectNode()));

        assertThat(failure.attempts()).isEqualTo(3);
        assertThat(proxy.requestCount()).isEqualTo(3);
        assertThat(failure.getMessage())
                .contains(proxy.url())
                .contains("query users:list")
                .contains("HTTP 503")
                .doesNotContain(emulator.adminKey());
    }

    @Test
    void badRequestsAreNotRetried() {
        ConvexRequestException failure = catchThrowableOfType(ConvexRequestException.class,
                () -> client.query("not a valid path!", NODES.objectNode()));

        assertThat(failure.status()).isEqualTo(400);
        assertThat(failure.code()).isEqualTo("BadConvexFunctionIdentifier");
        assertThat(proxy.requestCount()).isEqualTo(1);
        assertThat(failure.getMessage()).doesNotContain(emulator.adminKey());
    }

    private static ObjectNode args(String field, String value) {
        return NODES.objectNode().put(field, value);
    }
}

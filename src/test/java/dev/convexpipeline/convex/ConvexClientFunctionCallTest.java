package dev.convexpipeline.convex;

import dev.convexpipeline.retry.RetryPolicy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.emulator.functions.ConvexError;
import dev.convexpipeline.testing.ConvexEmulatorExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Function calls over real HTTP against the emulator, with a fault-injecting proxy in between. */
class ConvexClientFunctionCallTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    // Test-only functions: echo arguments back unchanged, and fail with structured errorData.
    @RegisterExtension
    static final ConvexEmulatorExtension convex = ConvexEmulatorExtension.ephemeral().withFaultProxy()
            .withSetUp(emulator -> emulator.functions()
                    .internalQuery("test:echo", (context, args) -> args)
                    .action("test:echoAction", (context, args) -> args)
                    .internalMutation("test:fail", (context, args) -> {
                        throw new ConvexError(args);
                    }));

    @Test
    void mutationResultCanBeReadBackByQuery() {
        String subject = "auth|" + UUID.randomUUID();

        JsonNode id = convex.client().mutation("users:upsert", args("authSubject", subject).put("email", "a@example.com"));
        JsonNode user = convex.client().query("users:getByAuthSubject", args("authSubject", subject));

        assertThat(id.isTextual()).isTrue();
        assertThat(ConvexIds.isValid(id.textValue())).isTrue();
        assertThat(user.get("_id")).isEqualTo(id);
        assertThat(user.get("email").textValue()).isEqualTo("a@example.com");
        assertThat(user.get("_creationTime").isFloatingPointNumber()).as("_creationTime is float64").isTrue();
    }

    @Test
    void argumentsAndResultsKeepInt64Float64BytesAndNesting() {
        ObjectNode args = NODES.objectNode();
        args.set("big", ConvexValues.int64(Long.MIN_VALUE));
        args.set("small", ConvexValues.int64(3));
        args.set("integralFloat", ConvexValues.float64(3.0));
        args.set("nan", ConvexValues.float64(Double.NaN));
        args.set("negativeZero", ConvexValues.float64(-0.0));
        args.set("blob", ConvexValues.bytes(new byte[] {0, (byte) 0xfe, 42}));
        args.putObject("nested").putArray("list").add(ConvexValues.int64(1)).add(ConvexValues.float64(1.0)).add("s")
                .addNull().add(true);

        JsonNode echoed = convex.client().query("test:echo", args);
        JsonNode echoedByAction = convex.client().action("test:echoAction", args);

        assertThat(echoed).isEqualTo(args);
        assertThat(echoedByAction).isEqualTo(args);
        assertThat(echoed.get("small").isIntegralNumber()).isTrue();
        assertThat(echoed.get("integralFloat").isFloatingPointNumber()).isTrue();
        assertThat(Double.doubleToRawLongBits(echoed.get("negativeZero").doubleValue()))
                .isEqualTo(Double.doubleToRawLongBits(-0.0));
    }

    @Test
    void errorDataIsDecodedWithItsTypes() {
        ObjectNode data = NODES.objectNode().put("code", "TEST_FAILURE");
        data.set("count", ConvexValues.int64(7));
        data.set("ratio", ConvexValues.float64(2.0));

        ConvexFunctionException failure = assertThrows(ConvexFunctionException.class,
                () -> convex.client().mutation("test:fail", data));

        assertThat(failure.errorData()).isEqualTo(data);
        assertThat(failure.errorCode()).isEqualTo("TEST_FAILURE");
    }

    @Test
    void int64ResultsStayIntegralAndFloatsStayFloating() {
        convex.client().mutation("users:upsert", args("authSubject", "auth|" + UUID.randomUUID()));

        JsonNode counts = convex.client().query("ops:tableCounts", NODES.objectNode());

        assertThat(counts.get("users").isIntegralNumber()).as("counts are int64").isTrue();
        assertThat(counts.get("users").longValue()).isPositive();
    }

    @Test
    void functionErrorCarriesPathMessageAndDecodedErrorData() {
        String first = convex.client().mutation("users:upsert", args("authSubject", "auth|" + UUID.randomUUID())).textValue();
        String second = convex.client().mutation("users:upsert", args("authSubject", "auth|" + UUID.randomUUID())).textValue();
        String customer = "cus_" + UUID.randomUUID();
        convex.client().mutation("users:linkStripeCustomer", args("userId", first).put("stripeCustomerId", customer));

        ConvexFunctionException failure = assertThrows(ConvexFunctionException.class, () -> convex.client().mutation(
                "users:linkStripeCustomer", args("userId", second).put("stripeCustomerId", customer)));

        assertThat(failure.functionPath()).isEqualTo("users:linkStripeCustomer");
        assertThat(failure.errorCode()).isEqualTo("CUSTOMER_LINKED_ELSEWHERE");
        assertThat(failure.errorData().get("userId").textValue()).isEqualTo(first);
        assertThat(failure.getMessage()).contains("users:linkStripeCustomer").contains("CUSTOMER_LINKED_ELSEWHERE");
        assertThat(convex.proxy().requestCount()).as("function errors are not retried").isEqualTo(4);
    }

    @Test
    void unknownFunctionIsAFunctionErrorWithoutErrorData() {
        ConvexFunctionException failure = assertThrows(ConvexFunctionException.class,
                () -> convex.client().query("users:doesNotExist", NODES.objectNode()));

        assertThat(failure.errorData()).isNull();
        assertThat(failure.errorMessage()).contains("users:doesNotExist");
    }

    @Test
    void badAdminKeyIsRefusedWithOneRequestAndNoRetry() {
        String wrongKey = "convex-self-hosted|" + "ab".repeat(40);
        try (ConvexClient wrong = ConvexEmulatorExtension.quickClient(convex.proxy().url(), wrongKey)) {
            ConvexAuthException failure = assertThrows(ConvexAuthException.class,
                    () -> wrong.query("users:list", NODES.objectNode()));

            assertThat(failure.status()).isEqualTo(401);
            assertThat(failure.code()).isEqualTo("BadAdminKey");
            assertThat(failure.getMessage()).contains("admin key").doesNotContain(wrongKey).doesNotContain("abab");
            assertThat(convex.proxy().requestCount()).isEqualTo(1);

            assertThrows(ConvexAuthException.class, wrong::checkAdminKey);
            assertThat(convex.proxy().requestCount()).isEqualTo(2);
        }
    }

    @Test
    void readinessChecksPassWithTheRightKey() {
        assertThat(convex.client().version()).isNotBlank();
        assertThat(convex.client().checkAdminKey().readOnly()).isFalse();
    }

    @Test
    void serviceUnavailableIsRetriedUntilItSucceeds() {
        convex.proxy().failNext(2, 503, null);

        JsonNode users = convex.client().query("users:list", NODES.objectNode());

        assertThat(users.isArray()).isTrue();
        assertThat(convex.proxy().requestCount()).isEqualTo(3);
    }

    @Test
    void mutationsAreRetriedToo() {
        String subject = "auth|" + UUID.randomUUID();
        convex.proxy().failNext(1, 502, null);

        convex.client().mutation("users:upsert", args("authSubject", subject));

        assertThat(convex.client().query("users:getByAuthSubject", args("authSubject", subject)).isObject()).isTrue();
        assertThat(convex.proxy().requestCount()).isEqualTo(3);
    }

    @Test
    void functionCallsAreMadeOnTheCallingThread() {
        // java.net.http handed each synchronous send to its executor and selector threads and back: on two
        // cores those hand-offs were most of the webhook's latency (docs/webhook-latency.md).
        long before = convexHttpThreads();
        try (ConvexClient fresh = ConvexEmulatorExtension.quickClient(convex.proxy().url(), convex.adminKey())) {
            for (int i = 0; i < 5; i++) {
                fresh.mutation("users:upsert", args("authSubject", "auth|same-thread"));
            }
            assertThat(convexHttpThreads()).isLessThanOrEqualTo(before);
        }
    }

    private static long convexHttpThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(thread -> thread.getName().startsWith("convex-http-")).count();
    }

    @Test
    void requestTimeoutsAreRetried() {
        convex.proxy().delayNext(1, 1_500);
        ConvexClientConfig impatient = ConvexClientConfig.of(convex.proxy().url(), convex.adminKey())
                .withTimeouts(Duration.ofSeconds(1), Duration.ofMillis(300))
                .withRetryPolicy(new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(50)));

        try (ConvexClient quick = new ConvexClient(impatient)) {
            assertThat(quick.query("users:list", NODES.objectNode()).isArray()).isTrue();
        }

        assertThat(convex.proxy().requestCount()).isEqualTo(2);
    }

    @Test
    void tooManyRequestsWaitsForRetryAfter() {
        convex.proxy().failNext(1, 429, "1");
        long started = System.nanoTime();

        convex.client().query("users:list", NODES.objectNode());

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(950));
        assertThat(convex.proxy().requestCount()).isEqualTo(2);
    }

    @Test
    void persistentServerErrorsGiveUnavailableNamingUrlAndOperation() {
        convex.proxy().failNext(100, 503, null);

        ConvexUnavailableException failure = assertThrows(ConvexUnavailableException.class,
                () -> convex.client().query("users:list", NODES.objectNode()));

        assertThat(failure.attempts()).isEqualTo(3);
        assertThat(convex.proxy().requestCount()).isEqualTo(3);
        assertThat(failure.getMessage())
                .contains(convex.proxy().url())
                .contains("query users:list")
                .contains("HTTP 503")
                .doesNotContain(convex.adminKey());
    }

    @Test
    void badRequestsAreNotRetried() {
        ConvexRequestException failure = assertThrows(ConvexRequestException.class,
                () -> convex.client().query("not a valid path!", NODES.objectNode()));

        assertThat(failure.status()).isEqualTo(400);
        assertThat(failure.code()).isEqualTo("BadConvexFunctionIdentifier");
        assertThat(convex.proxy().requestCount()).isEqualTo(1);
        assertThat(failure.getMessage()).doesNotContain(convex.adminKey());
    }

    @Test
    void exportInProgressIsReportedAsItsOwnTypeWithoutRetrying() {
        convex.proxy().failNext(1, 400, null, "/api/export/request", "ExportInProgress",
                "There is already an export requested or in progress.");

        ConvexExportInProgressException failure = assertThrows(ConvexExportInProgressException.class,
                () -> convex.client().requestExport(false));

        assertThat(failure.code()).isEqualTo("ExportInProgress");
        assertThat(failure.getMessage()).contains(convex.proxy().url()).contains("already requested or in progress")
                .contains("wait for it to finish");
        assertThat(convex.proxy().requestLines()).filteredOn(line -> line.startsWith("POST /api/export/request")).hasSize(1);
    }

    @Test
    void adminKeyNeverAppearsInAnyFailureMessage() {
        String key = convex.adminKey();
        convex.proxy().failNext(100, 500, null);
        Throwable unavailable = assertThrows(ConvexUnavailableException.class, convex.client()::version);
        convex.proxy().failNext(0, 500, null);
        Throwable functionError = assertThrows(ConvexFunctionException.class,
                () -> convex.client().query("users:doesNotExist", NODES.objectNode()));
        Throwable badRequest = assertThrows(ConvexRequestException.class,
                () -> convex.client().query("bad path!", NODES.objectNode()));
        Throwable snapshot = assertThrows(ConvexSnapshotException.class,
                () -> convex.client().importSnapshot(new java.io.ByteArrayInputStream("{oops\n".getBytes()),
                        ImportOptions.table(ImportFormat.JSON_LINES, "broken", ImportMode.REQUIRE_EMPTY)));

        for (Throwable failure : java.util.List.of(unavailable, functionError, badRequest, snapshot)) {
            for (Throwable t = failure; t != null; t = t.getCause()) {
                assertThat(String.valueOf(t.getMessage())).doesNotContain(key);
            }
        }
        assertThat(convex.client().config().toString()).doesNotContain(key);
    }

    private static ObjectNode args(String field, String value) {
        return NODES.objectNode().put(field, value);
    }
}

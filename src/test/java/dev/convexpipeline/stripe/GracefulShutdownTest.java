package dev.convexpipeline.stripe;

import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.convex.FaultInjectingProxy;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.convexpipeline.stripe.StripeFixture.event;
import static dev.convexpipeline.stripe.StripeFixture.now;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Stopping the pipeline lets a webhook already being applied finish and answer, instead of cutting it off. */
class GracefulShutdownTest {

    @Test
    void aWebhookInFlightWhenThePipelineStopsIsAppliedAndAnswered() throws Exception {
        try (ConvexEmulator emulator = StripeFixture.emulator();
             FaultInjectingProxy slowConvex = new FaultInjectingProxy(emulator.url())) {
            PipelineRuntime pipeline = StripeFixture.pipeline(slowConvex.url(), emulator.adminKey(), Map.of());
            byte[] body = event("evt_shutdown_1", "product.updated", now(), "{\"id\":\"prod_1\"}");
            // The Convex mutation takes 2 s: the stop arrives while the delivery is in flight.
            slowConvex.delayNext(1, 2000);
            long mutationsBefore = mutations(slowConvex);
            CompletableFuture<HttpResponse<String>> delivery = CompletableFuture.supplyAsync(() -> {
                try {
                    return StripeFixture.send(pipeline, body);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await("the delivery's Convex call held by the proxy").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                    .until(() -> mutations(slowConvex) > mutationsBefore);
            long stopping = System.nanoTime();
            pipeline.close();

            HttpResponse<String> answer = delivery.get(30, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).contains("\"outcome\":\"ignored\"");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping)).as("stop waited for it").isGreaterThan(500);
            assertThat(StripeFixture.ledger(emulator, "evt_shutdown_1").path("outcome").asText()).isEqualTo("ignored");
        }
    }

    private static long mutations(FaultInjectingProxy proxy) {
        return proxy.requestLines().stream().filter(line -> line.startsWith("POST /api/mutation")).count();
    }
}

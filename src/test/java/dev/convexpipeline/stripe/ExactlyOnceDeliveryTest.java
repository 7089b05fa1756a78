package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.convexpipeline.stripe.StripeFixture.entitlement;
import static dev.convexpipeline.stripe.StripeFixture.event;
import static dev.convexpipeline.stripe.StripeFixture.ledgerRows;
import static dev.convexpipeline.stripe.StripeFixture.linkedUser;
import static dev.convexpipeline.stripe.StripeFixture.now;
import static dev.convexpipeline.stripe.StripeFixture.send;
import static dev.convexpipeline.stripe.StripeFixture.subscription;
import static org.assertj.core.api.Assertions.assertThat;

class ExactlyOnceDeliveryTest {

    @Test
    void fiftyConcurrentDeliveriesAcrossTwoInstancesApplyOnce() throws Exception {
        try (ConvexEmulator emulator = StripeFixture.emulator();
             PipelineRuntime first = StripeFixture.pipeline(emulator, Map.of());
             PipelineRuntime second = StripeFixture.pipeline(emulator, Map.of())) {
            linkedUser(emulator, "user|race", "cus_race");
            long t = now();
            byte[] body = event("evt_race", "customer.subscription.created", t,
                    subscription("sub_race", "cus_race", "active", "price_basic", t + 1000, false));
            AtomicInteger commits = new AtomicInteger();
            Runnable unsubscribe = emulator.store().onCommit(snapshot -> commits.incrementAndGet());

            ExecutorService senders = Executors.newFixedThreadPool(50);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                PipelineRuntime target = i % 2 == 0 ? first : second;
                responses.add(senders.submit(() -> {
                    go.await();
                    return send(target, body);
                }));
            }
            go.countDown();
            int applied = 0;
            int duplicates = 0;
            for (Future<HttpResponse<String>> response : responses) {
                HttpResponse<String> r = response.get();
                assertThat(r.statusCode()).isEqualTo(200);
                applied += r.body().contains("\"outcome\":\"applied\"") ? 1 : 0;
                duplicates += r.body().contains("\"outcome\":\"duplicate\"") ? 1 : 0;
            }
            senders.shutdown();
            unsubscribe.run();

            assertThat(applied).isEqualTo(1);
            assertThat(duplicates).isEqualTo(49);
            assertThat(ledgerRows(emulator)).hasSize(1);
            assertThat(emulator.documents("entitlements")).hasSize(1);
            // One effect: the applying mutation is the only commit; duplicates write nothing.
            assertThat(commits.get()).isEqualTo(1);
            assertThat(entitlement(emulator, "sub_race").path("lastEventId").asText()).isEqualTo("evt_race");
        }
    }

    @Test
    void convexDownIsAnswered503AndStripesRetryAppliesTheEvent(@TempDir Path data) throws Exception {
        int convexPort = StripeFixture.freePort();
        ConvexEmulator.Config config = ConvexEmulator.Config.ephemeral().withPort(convexPort).withDataDirectory(data);
        ConvexEmulator emulator = new ConvexEmulator(config).start();
        String adminKey = emulator.adminKey();
        linkedUser(emulator, "user|outage", "cus_outage");
        try (PipelineRuntime pipeline = StripeFixture.pipeline(emulator.url(), adminKey, Map.of())) {
            long t = now();
            byte[] body = event("evt_outage", "customer.subscription.created", t,
                    subscription("sub_outage", "cus_outage", "active", "price_basic", t + 1000, false));
            emulator.close();

            HttpResponse<String> during = send(pipeline, body);
            assertThat(during.statusCode()).isEqualTo(503);
            assertThat(during.body()).contains("unavailable").doesNotContain(adminKey);

            emulator = new ConvexEmulator(config.withAdminKey(adminKey)).start();
            HttpResponse<String> retry = send(pipeline, body);
            assertThat(retry.statusCode()).isEqualTo(200);
            assertThat(retry.body()).contains("\"outcome\":\"applied\"");
            JsonNode entitlement = entitlement(emulator, "sub_outage");
            assertThat(entitlement.path("status").asText()).isEqualTo("active");
            assertThat(ledgerRows(emulator)).hasSize(1);
            assertThat(StripeFixture.metrics(pipeline)).contains("stripe_webhook_convex_unavailable_total");
        } finally {
            emulator.close();
        }
    }
}

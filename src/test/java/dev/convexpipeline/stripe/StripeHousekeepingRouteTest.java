package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.retry.RetryPolicy;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.Produce;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.apache.camel.test.main.junit5.Configure;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** routes/stripe-housekeeping.camel.yaml as Camel runs it: its steps in order, and a failing step failing the exchange. */
@CamelMainTest(replaceRouteFromWith = "stripe-housekeeping=direct:housekeeping-fired")
class StripeHousekeepingRouteTest {
    private static final long DAY = 86_400_000L;
    private static final List<String> STEPS = List.of("housekeeping-prune-events", "housekeeping-prune-challenges",
            "housekeeping-report");

    private final ConvexEmulator emulator = StripeFixture.emulator();
    private final ConvexClient convex = new ConvexClient(new ConvexClientConfig(URI.create(emulator.url()), emulator.adminKey(),
            Duration.ofSeconds(2), Duration.ofSeconds(5), new RetryPolicy(2, Duration.ofMillis(20), Duration.ofMillis(50)),
            ConvexClientConfig.DEFAULT_CLIENT_NAME));
    @BindToRegistry("stripeHousekeeping")
    private final StripeHousekeeping housekeeping = new StripeHousekeeping(new StripeEventLedger(convex, StripeMetrics.standalone()),
            StripeMetrics.standalone(), Duration.ofDays(30), Duration.ofHours(1), 2, 10, Clock.systemUTC());

    /** Stands for the Quartz trigger (replaceRouteFromWith). */
    @Produce("direct:housekeeping-fired")
    ProducerTemplate fire;

    @BeanInject
    CamelContext context;

    @EndpointInject("mock:steps")
    MockEndpoint steps;

    @Configure
    void configure(MainConfigurationProperties configuration) {
        configuration.withRoutesIncludePattern("file:routes/stripe-housekeeping.camel.yaml");
    }

    @AfterEach
    void stop() {
        convex.close();
        emulator.close();
    }

    private void recordSteps() throws Exception {
        AdviceWith.adviceWith(context, "stripe-housekeeping-pass", route -> {
            for (String step : STEPS) {
                route.weaveById(step).after().setHeader("step", route.constant(step)).to("mock:steps");
            }
        });
    }

    @Test
    void aFiredPassPrunesEventsThenChallengesThenReportsWhatWent() throws Exception {
        long now = System.currentTimeMillis();
        for (int i = 0; i < 3; i++) {
            StripeHousekeepingTest.ledgerRow(emulator, "evt_old_" + i, now - 31 * DAY - i);
        }
        StripeHousekeepingTest.ledgerRow(emulator, "evt_recent", now - DAY);
        StripeHousekeepingTest.challenge(emulator, "auth_challenges", now - 2 * 3_600_000L);
        StripeHousekeepingTest.challenge(emulator, "auth_challenges", now + 60_000L);
        recordSteps();
        NotifyBuilder fired = new NotifyBuilder(context).fromRoute("stripe-housekeeping").whenCompleted(1).create();

        Object report = fire.requestBody((Object) null);

        assertThat(fired.matches(10, TimeUnit.SECONDS)).isTrue();
        assertThat(steps.getReceivedExchanges()).extracting(e -> e.getMessage().getHeader("step"))
                .containsExactlyElementsOf(STEPS);
        assertThat(report).isInstanceOf(ObjectNode.class);
        assertThat(((ObjectNode) report).path("stripe_events").asLong()).as("three old events, two per batch").isEqualTo(3);
        assertThat(((ObjectNode) report).path("auth_challenges").asLong()).isEqualTo(1);
        assertThat(((ObjectNode) report).path("evm_challenges").asLong()).isZero();
        assertThat(emulator.documents("stripe_events")).hasSize(1);
    }

    @Test
    void aStepThatCannotReachConvexFailsTheExchangeAndStopsThePass() throws Exception {
        recordSteps();
        emulator.close();

        Exchange pass = fire.send(exchange -> { });

        assertThat(pass.isFailed()).as("the failure reaches Camel instead of being swallowed").isTrue();
        assertThat(steps.getReceivedExchanges()).as("nothing after the failing first step ran").isEmpty();
    }
}

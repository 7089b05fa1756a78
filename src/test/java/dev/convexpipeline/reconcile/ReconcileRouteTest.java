package dev.convexpipeline.reconcile;

import dev.convexpipeline.testing.CapturedLogs;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.Produce;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.apache.camel.test.main.junit5.Configure;
import org.apache.camel.util.function.ThrowingConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.convexpipeline.reconcile.FakeStripe.subscription;
import static dev.convexpipeline.reconcile.ReconcileFixture.DAY;
import static dev.convexpipeline.reconcile.ReconcileFixture.now;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * routes/stripe-reconcile.camel.yaml as Camel runs it (Camel's main test kit), against the Convex emulator
 * and the Stripe fake: the runbook's steps in order, a failing step failing the exchange while finish still
 * records the run as failed, and a schedule fire that finds a run in progress skipping quietly.
 */
@CamelMainTest(replaceRouteFromWith = "stripe-reconcile=direct:schedule-fired")
class ReconcileRouteTest {
    private static final List<String> STEPS = List.of("reconcile-events", "reconcile-pages", "reconcile-revocations",
            "reconcile-finish");

    private final ReconcileFixture fx;
    @BindToRegistry("reconcileOperations")
    private final ReconcileOperations operations;

    @EndpointInject("mock:steps")
    MockEndpoint steps;

    @BeanInject
    CamelContext context;

    @Produce
    ProducerTemplate template;

    ReconcileRouteTest() throws Exception {
        fx = new ReconcileFixture();
        operations = new ReconcileOperations(fx.reconciler());
    }

    @Configure
    void configure(MainConfigurationProperties configuration) {
        configuration.withRoutesIncludePattern("file:routes/stripe-reconcile.camel.yaml");
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    /** After each step: which one ran and the phase the run is in once it did. */
    @SafeVarargs
    private void recordSteps(ThrowingConsumer<AdviceWithRouteBuilder, Exception>... more) throws Exception {
        AdviceWith.adviceWith(context, "reconcile-run", route -> {
            for (String step : STEPS) {
                route.weaveById(step).after().setHeader("step", route.constant(step))
                        .setHeader("phase", route.simple("${exchangeProperty.reconcileRun.phase()}")).to("mock:steps");
            }
            for (ThrowingConsumer<AdviceWithRouteBuilder, Exception> advice : more) {
                advice.accept(route);
            }
        });
    }

    @Test
    void aScheduledRunGoesThroughTheRunbookStepsInOrderAndIsRecordedCompleted() throws Exception {
        String user = fx.linkedUser("user-1", "cus_1");
        long period = now() + 20 * DAY;
        fx.stripe.put(subscription("sub_missing", "cus_1", "active", "price_pro", "pro_monthly", now() - DAY, period, false));
        recordSteps();
        steps.expectedMessageCount(STEPS.size());
        NotifyBuilder fired = new NotifyBuilder(context).fromRoute("stripe-reconcile").whenCompleted(1).create();

        template.sendBody("direct:schedule-fired", null);

        assertThat(fired.matches(20, TimeUnit.SECONDS)).as("the scheduled run completed").isTrue();
        steps.assertIsSatisfied();
        assertThat(steps.getReceivedExchanges()).extracting(e -> e.getMessage().getHeader("step"))
                .as("runbook order").containsExactlyElementsOf(STEPS);
        assertThat(steps.getReceivedExchanges()).extracting(e -> e.getMessage().getHeader("phase"))
                .containsExactly("subscriptions", "revocations", "done", "done");
        assertThat(fx.state().path("status").asText()).isEqualTo("completed");
        assertThat(fx.state().path("report").path("trigger").asText()).isEqualTo("schedule");
        assertThat(fx.entitlement("sub_missing").path("userId").asText()).isEqualTo(user);
    }

    @Test
    void aFailingStepFailsTheExchangeAndFinishRecordsTheRunAsFailed() throws Exception {
        recordSteps(route -> route.weaveById("reconcile-pages").replace()
                .throwException(new IllegalStateException("Stripe answered 500 on the subscriptions page")));

        Exchange run = template.send("direct:reconcile", exchange -> exchange.setProperty(ReconcileOperations.TRIGGER, "test"));

        assertThat(run.getException()).hasMessageContaining("Stripe answered 500 on the subscriptions page");
        assertThat(steps.getReceivedExchanges()).extracting(e -> e.getMessage().getHeader("step"))
                .as("revocations never ran; finish did").containsExactly("reconcile-events", "reconcile-finish");
        assertThat(fx.state().path("status").asText()).isEqualTo("failed");
        assertThat(fx.state().path("error").asText()).contains("Stripe answered 500 on the subscriptions page");
        assertThat(operations.last().path("current").path("status").asText()).isEqualTo("failed");
    }

    @Test
    void aScheduleFireWhileAnotherInstanceRunsSkipsWithoutFailing() throws Exception {
        Reconciler otherInstance = fx.reconciler();
        Reconciler.Run running = otherInstance.begin("other instance", false);
        NotifyBuilder fired = new NotifyBuilder(context).fromRoute("stripe-reconcile").whenCompleted(1).create();
        NotifyBuilder failed = new NotifyBuilder(context).whenFailed(1).create();

        try (CapturedLogs logs = new CapturedLogs("%p %m%n")) {
            template.sendBody("direct:schedule-fired", null);

            assertThat(fired.matches(10, TimeUnit.SECONDS)).isTrue();
            assertThat(failed.matches()).as("a run in progress elsewhere is not a failure").isFalse();
            assertThat(logs.text()).contains("Scheduled reconcile skipped: a reconcile run is already in progress")
                    .as("nothing logged as an error").doesNotContain("ERROR");
        }
        assertThat(fx.state().path("runId").asText()).isEqualTo(running.report().runId());
        assertThat(fx.state().path("status").asText()).isEqualTo("running");
    }
}

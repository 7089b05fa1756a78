package dev.convexpipeline.stripe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * The Stripe webhook's metrics, in the Micrometer registry Camel Main creates for
 * {@code /observe/metrics} (camel-micrometer-prometheus). Labels never carry secrets or payloads;
 * event types and price ids are bounded by what Stripe signs.
 */
public final class StripeMetrics {
    private final CamelContext camelContext;
    private volatile MeterRegistry registry;

    public StripeMetrics(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    /** For unit tests and the CLI, which have no Camel context. */
    public static StripeMetrics standalone() {
        StripeMetrics metrics = new StripeMetrics(null);
        metrics.registry = new SimpleMeterRegistry();
        return metrics;
    }

    /**
     * Resolved lazily: Camel Main binds its Prometheus registry while starting, after the beans are
     * created. Without one (metrics disabled) the meters go to a private registry nobody scrapes.
     */
    public MeterRegistry registry() {
        MeterRegistry current = registry;
        if (current == null) {
            synchronized (this) {
                if (registry == null) {
                    MeterRegistry found = camelContext == null ? null
                            : camelContext.getRegistry().findSingleByType(MeterRegistry.class);
                    registry = found != null ? found : new SimpleMeterRegistry();
                }
                current = registry;
            }
        }
        return current;
    }

    public void event(String type, String outcome) {
        Counter.builder("stripe_webhook_events").description("Stripe events accepted, by type and outcome")
                .tag("type", type).tag("outcome", outcome).register(registry()).increment();
    }

    public void rejected(String reason) {
        Counter.builder("stripe_webhook_rejected").description("Webhook requests rejected with 4xx, by reason")
                .tag("reason", reason).register(registry()).increment();
    }

    public void signatureFailure(SignatureFailure failure) {
        Counter.builder("stripe_webhook_signature_failures").description("Stripe-Signature checks that failed, by reason")
                .tag("reason", failure.label()).register(registry()).increment();
    }

    public void unmappedPrice(String priceId) {
        Counter.builder("stripe_unmapped_prices").description("Subscription items whose price maps to no tier")
                .tag("price", priceId).register(registry()).increment();
    }

    public void convexUnavailable() {
        Counter.builder("stripe_webhook_convex_unavailable")
                .description("Webhooks answered 503 because Convex was unreachable or failing")
                .register(registry()).increment();
    }

    public void housekeepingDeleted(String table, long count) {
        Counter.builder("stripe_housekeeping_deleted").description("Documents pruned by housekeeping, by table")
                .tag("table", table).register(registry()).increment(count);
    }

    /** Time from request arrival to the answer, by HTTP status. */
    public void ack(int status, Duration elapsed) {
        Timer.builder("stripe_webhook_ack").description("Webhook acknowledgement latency")
                .tag("status", String.valueOf(status))
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry()).record(elapsed);
    }

    /** Runs one Convex call, timing it by function and result ({@code ok} or the exception's simple name). */
    public <T> T timeConvex(String function, Supplier<T> call) {
        long start = System.nanoTime();
        String result = "ok";
        try {
            return call.get();
        } catch (RuntimeException e) {
            result = e.getClass().getSimpleName();
            throw e;
        } finally {
            Timer.builder("stripe_convex_call").description("Convex function calls made for Stripe events")
                    .tag("function", function).tag("result", result)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                    .register(registry()).record(Duration.ofNanos(System.nanoTime() - start));
        }
    }
}

package dev.convexpipeline.schedule;

import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Scheduled work (change capture, backups, reconcile) runs on Quartz threads of the lowest priority,
 * so with -XX:ThreadPriorityPolicy=1 a flush yields the cores to webhooks (docs/webhook-latency.md).
 */
class ScheduledWorkPriorityTest {

    @Test
    void scheduledRoutesRunAtTheLowestThreadPriority() throws Exception {
        AtomicInteger priority = new AtomicInteger(-1);
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            QuartzClusterSetup.apply(context, new ScheduleSettings(false, "", "", "", "QRTZ_", 5000, 1000, 2));
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("quartz:test/priority?trigger.repeatInterval=50&trigger.repeatCount=0")
                            .process(exchange -> priority.set(Thread.currentThread().getPriority()));
                }
            });
            context.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> priority.get() != -1);
        }
        assertThat(priority.get()).isEqualTo(Thread.MIN_PRIORITY);
    }
}

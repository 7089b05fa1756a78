package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.schedule.QuartzClusterNodes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.convexpipeline.reconcile.FakeStripe.subscription;
import static dev.convexpipeline.reconcile.ReconcileFixture.DAY;
import static dev.convexpipeline.reconcile.ReconcileFixture.now;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two pipeline processes (the real routes and configuration) on one PostgreSQL-backed Quartz
 * cluster: the reconcile schedule fires once per tick across both, runs complete in Convex, and
 * after one process is killed the survivor keeps firing it.
 */
@Tag("postgres")
class ClusteredReconcileScheduleTest {
    private static final Pattern FIRED = Pattern.compile("Reconcile schedule fired \\(scheduled for (\\d+)\\)");

    @TempDir
    Path work;
    private QuartzClusterNodes nodes;
    private ReconcileFixture fx;

    @BeforeEach
    void seed() throws Exception {
        fx = new ReconcileFixture();
        nodes = new QuartzClusterNodes(work, "r");
        String user = fx.linkedUser("user-1", "cus_1");
        fx.stripe.put(subscription("sub_1", "cus_1", "active", "price_pro", "pro_monthly", now() - DAY, now() + 20 * DAY, false));
        fx.entitlement(user, "sub_1", "cus_1", "basic", "active", now() + 20 * DAY, false, now() - 2 * DAY);
    }

    @AfterEach
    void stopAndDropTables() throws Exception {
        nodes.close();
        fx.close();
    }

    @Test
    void theReconcileScheduleFiresOnceAcrossInstancesAndTheSurvivorTakesOver() throws Exception {
        Process a = startNode("a");
        Process b = startNode("b");

        await().atMost(Duration.ofSeconds(60)).until(() -> fires("a").size() + fires("b").size() >= 4);
        List<Long> all = new ArrayList<>(fires("a"));
        all.addAll(fires("b"));
        assertThat(all).as("each scheduled reconcile fired on exactly one instance").doesNotHaveDuplicates();
        await().atMost(Duration.ofSeconds(30)).until(() -> fx.state() != null && fx.state().path("lastCompletedRunId").isTextual());
        assertThat(fx.entitlement("sub_1").path("tier").asText()).as("the scheduled run repaired the drift").isEqualTo("pro");

        a.destroyForcibly().waitFor();
        long killedAt = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(40)).until(() -> fires("b").stream().anyMatch(t -> t > killedAt + 1000));
        assertThat(b.isAlive()).isTrue();
        assertThat(fires("b")).doesNotHaveDuplicates();
        String lastRun = fx.state().path("lastCompletedRunId").asText();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode state = fx.state();
            return !state.path("lastCompletedRunId").asText().equals(lastRun);
        });
        assertThat(fx.state().path("owner").asText()).as("the survivor ran it").startsWith(b.pid() + "@");
    }

    private Process startNode(String node) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("CONVEX_URL", fx.emulator.url());
        env.put("CONVEX_SERVICE_TOKEN", fx.emulator.adminKey());
        env.put("STRIPE_SECRET_KEY", FakeStripe.API_KEY);
        env.put("STRIPE_TIER_MAPPING", ReconcileFixture.TIER_MAPPING);
        env.put("RECONCILE_STRIPE_API_BASE", fx.stripe.apiBase());
        env.put("RECONCILE_CRON", "0/2 * * * * ?");
        // Each instance's runs are short; a killed instance's run is resumed after this lease.
        env.put("RECONCILE_LEASE_MS", "3000");
        return nodes.start(node, env);
    }

    private List<Long> fires(String node) {
        List<Long> fires = new ArrayList<>();
        Matcher m = FIRED.matcher(nodes.output(node));
        while (m.find()) {
            fires.add(Long.parseLong(m.group(1)));
        }
        return fires;
    }
}

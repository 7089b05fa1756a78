package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.FaultInjectingProxy;
import dev.convexpipeline.retry.RetryPolicy;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * reconcile:begin and reconcile:finish are retried by the client after a lost reply (the mutation
 * committed, the answer never arrived): the retry must end in the state a single call leaves and
 * answer what the first call would have, not "already running" against its own run or "abandoned".
 */
class ReconcileRetrySafetyTest {
    private static final long LEASE_MS = 60_000;

    private ConvexEmulator emulator;
    private FaultInjectingProxy proxy;
    private ConvexClient client;
    private ReconcileStore store;

    @BeforeEach
    void start() throws Exception {
        emulator = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
        proxy = new FaultInjectingProxy(emulator.url());
        client = new ConvexClient(ConvexClientConfig.of(proxy.url(), emulator.adminKey())
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(10))
                .withRetryPolicy(new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(100))));
        store = new ReconcileStore(client);
    }

    @AfterEach
    void stop() {
        client.close();
        proxy.close();
        emulator.close();
    }

    @Test
    void aBeginWhoseReplyIsLostIsRetriedIntoTheRunItStarted() {
        proxy.loseReplyNext(1, "reconcile:begin");
        JsonNode state = store.begin("run-1", "owner-a", LEASE_MS);

        assertThat(proxy.requestLines()).as("the first begin committed, its reply was lost, the client retried")
                .filteredOn(line -> line.startsWith("POST /api/mutation")).hasSize(2);
        assertThat(state.path("runId").asText()).isEqualTo("run-1");
        assertThat(state.path("owner").asText()).isEqualTo("owner-a");
        assertThat(state.path("resumed").asBoolean()).as("a new run, not a take-over").isFalse();
        JsonNode stored = store.state().orElseThrow();
        assertThat(stored.path("status").asText()).isEqualTo("running");
        assertThat(withoutResumed(state)).as("the retry answers the stored state").isEqualTo(stored);
    }

    @Test
    void aTakeOverWhoseReplyIsLostStillReportsTheResumedRun() {
        store.begin("run-dead", "owner-dead", LEASE_MS);
        // Time passing is the point: the dead owner's heartbeat must be older than the 10 ms lease the take-over passes.
        await("the dead owner's heartbeat older than 10 ms").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                .until(() -> System.currentTimeMillis() - store.state().orElseThrow().path("heartbeatAt").asLong() > 10);
        proxy.loseReplyNext(1, "reconcile:begin");
        // A 10 ms lease: the dead owner's has run out, the take-over's own (stamped by the first call) has not.
        JsonNode state = store.begin("run-2", "owner-b", 10);

        assertThat(state.path("resumed").asBoolean()).as("the retry still says it resumed the dead run").isTrue();
        assertThat(state.path("runId").asText()).isEqualTo("run-dead");
        assertThat(state.path("owner").asText()).isEqualTo("owner-b");
        assertThat(withoutResumed(state)).isEqualTo(store.state().orElseThrow());
    }

    @Test
    void aFinishWhoseReplyIsLostIsNotReportedAsAbandoned() {
        store.begin("run-3", "owner-c", LEASE_MS);
        ReconcileReport report = new ReconcileReport("run-3", "test", false, System.currentTimeMillis());
        report.status = "completed";
        proxy.loseReplyNext(1, "reconcile:finish");

        // Before retries were safe this threw RunLostException: the retry found the run already completed.
        store.finish("run-3", "owner-c", "completed", report, null);

        assertThat(proxy.requestLines()).filteredOn(line -> line.startsWith("POST /api/mutation")).hasSize(3);
        JsonNode stored = store.state().orElseThrow();
        assertThat(stored.path("status").asText()).isEqualTo("completed");
        assertThat(stored.path("lastCompletedRunId").asText()).isEqualTo("run-3");
        assertThat(stored.path("lastCompletedReport").path("runId").asText()).isEqualTo("run-3");
        assertThat(stored.path("cursor").isNull()).isTrue();
    }

    @Test
    void aDifferentRunIsStillRefusedWhileOneIsRunning() {
        store.begin("run-4", "owner-d", LEASE_MS);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.begin("run-5", "owner-d", LEASE_MS))
                .isInstanceOf(ReconcileStore.RunInProgressException.class).hasMessageContaining("run-4");
    }

    private static JsonNode withoutResumed(JsonNode state) {
        ObjectNode copy = state.deepCopy();
        copy.remove("resumed");
        return copy;
    }
}

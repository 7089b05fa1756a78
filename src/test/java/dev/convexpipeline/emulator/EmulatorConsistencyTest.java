package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.functions.Args;
import dev.convexpipeline.testing.ConvexEmulatorExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Serializable mutations and snapshot-consistent list_snapshot paging under concurrent writes. */
class EmulatorConsistencyTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    // A read-modify-write mutation: lost updates would show up as a total below the expected count.
    @RegisterExtension
    final ConvexEmulatorExtension convex = ConvexEmulatorExtension.ephemeral().withSetUp(emulator ->
            emulator.functions().mutation("counter:increment", (ctx, args) -> {
                String id = Args.requiredString(args, "id");
                ObjectNode counter = ctx.db().get(id);
                double next = counter.get("value").doubleValue() + 1;
                Thread.yield();
                ctx.db().patch(id, NODES.objectNode().put("value", next));
                return ConvexValues.float64(next);
            }));
    private final EmulatorClient client = new EmulatorClient(convex);

    @Test
    void concurrentMutationsBehaveAsIfOneAtATime() throws Exception {
        String id = convex.emulator().insert("counters", NODES.objectNode().put("value", 0.0));
        int threads = 20;
        int perThread = 10;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    JsonNode response = client.call("mutation", "counter:increment", "{\"id\":\"" + id + "\"}", null);
                    assertThat(response.get("status").asText()).isEqualTo("success");
                }
                return null;
            }));
        }
        for (Future<?> future : futures) {
            future.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(convex.emulator().store().latest().get(id).orElseThrow().get("value").doubleValue())
                .isEqualTo(threads * perThread);
    }

    @Test
    void listSnapshotPagesStayAtOneSnapshotWhileWritesContinue() throws Exception {
        int initial = 2500;
        convex.emulator().store().write(tx -> {
            for (int i = 0; i < initial; i++) {
                tx.insert("items", NODES.objectNode().put("n", (double) i));
            }
            return null;
        });
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong writeRounds = new AtomicLong();
        Thread writer = new Thread(() -> {
            while (writing.get()) {
                convex.emulator().insert("items", NODES.objectNode().put("n", -1.0));
                List<ObjectNode> docs = convex.emulator().documents("items");
                convex.emulator().store().write(tx -> {
                    tx.delete(docs.get(0).get("_id").asText());
                    return null;
                });
                writeRounds.incrementAndGet();
            }
        });
        try {
            Set<String> ids = new HashSet<>();
            String cursor = null;
            Long snapshot = null;
            int pages = 0;
            while (true) {
                String query = "?format=convex_encoded_json&tableName=items" + (snapshot == null ? "" : "&snapshot=" + snapshot)
                        + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
                EmulatorClient.Response response = client.get("/api/list_snapshot" + query,
                        "Authorization", "Convex " + client.adminKey());
                assertThat(response.status()).as(response.body()).isEqualTo(200);
                JsonNode page = response.json();
                pages++;
                if (pages == 1) {
                    // Writes start only after the snapshot is fixed by the first page.
                    writer.start();
                }
                if (snapshot != null) {
                    assertThat(page.get("snapshot").asLong()).isEqualTo(snapshot);
                }
                snapshot = page.get("snapshot").asLong();
                for (JsonNode value : page.get("values")) {
                    assertThat(value.get("_table").asText()).isEqualTo("items");
                    assertThat(value.get("_component").asText()).isEmpty();
                    assertThat(value.get("_ts").asLong()).as("_ts is the document's commit").isBetween(1L, snapshot);
                    assertThat(value.get("n").doubleValue()).as("no write after the snapshot is visible").isNotEqualTo(-1.0);
                    assertThat(ids.add(value.get("_id").asText())).as("no document twice").isTrue();
                }
                // Every next page is read after at least one more insert and delete behind the snapshot.
                long roundsSoFar = writeRounds.get();
                await("the writer committing between pages").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
                        .until(() -> writeRounds.get() > roundsSoFar);
                if (!page.get("hasMore").asBoolean()) {
                    assertThat(page.get("cursor").isNull()).isTrue();
                    break;
                }
                cursor = page.get("cursor").asText();
            }
            assertThat(pages).isEqualTo(3);
            assertThat(ids).hasSize(initial);
        } finally {
            writing.set(false);
            writer.join();
        }
    }

    @Test
    void documentDeltasFollowTheSnapshotWithEveryLaterWrite() {
        String kept = convex.emulator().insert("items", NODES.objectNode().put("n", 1.0));
        String removed = convex.emulator().insert("items", NODES.objectNode().put("n", 2.0));
        JsonNode listing = client.adminJson("/api/list_snapshot", "{}").json();
        assertThat(listing.get("hasMore").asBoolean()).isFalse();
        long snapshot = listing.get("snapshot").asLong();

        convex.emulator().store().write(tx -> {
            tx.patch(kept, NODES.objectNode().put("n", 10.0));
            return null;
        });
        convex.emulator().store().write(tx -> {
            tx.delete(removed);
            return null;
        });
        String added = convex.emulator().insert("items", NODES.objectNode().put("n", 3.0));
        convex.emulator().insert("other", NODES.objectNode().put("n", 4.0));

        JsonNode deltas = client.get("/api/document_deltas?tableName=items&cursor=" + snapshot,
                "Authorization", "Convex " + client.adminKey()).json();
        JsonNode values = deltas.get("values");
        assertThat(values).hasSize(3);
        assertThat(values.get(0).get("_id").asText()).isEqualTo(kept);
        assertThat(values.get(0).get("n").doubleValue()).isEqualTo(10.0);
        assertThat(values.get(1).get("_id").asText()).isEqualTo(removed);
        assertThat(values.get(1).get("_deleted").asBoolean()).isTrue();
        assertThat(values.get(1).has("n")).isFalse();
        assertThat(values.get(2).get("_id").asText()).isEqualTo(added);
        assertThat(deltas.get("hasMore").asBoolean()).isFalse();
        assertThat(values.get(0).get("_ts").asLong()).isLessThan(values.get(2).get("_ts").asLong());

        JsonNode empty = client.adminJson("/api/document_deltas", "{\"cursor\":" + deltas.get("cursor").asLong() + "}").json();
        assertThat(empty.get("values")).isEmpty();
        EmulatorClient.Response missingCursor = client.adminJson("/api/document_deltas", "{}");
        assertThat(missingCursor.status()).isEqualTo(400);
        assertThat(missingCursor.body()).isEqualTo(
                "{\"code\":\"DocumentDeltasCursorRequired\",\"message\":\"/api/document_deltas requires a cursor\"}");
    }

    @Test
    void streamingExportHelpersDescribeTheTables() {
        convex.emulator().insert("items", NODES.objectNode().put("n", 1.0));
        convex.emulator().insert("items", NODES.objectNode().put("label", "x"));
        EmulatorClient.Response columns = client.get("/api/get_table_column_names", "Authorization", "Convex " + client.adminKey());
        assertThat(columns.body()).isEqualTo("{\"byComponent\":{\"\":[{\"name\":\"items\",\"columns\":"
                + "[\"_creationTime\",\"_id\",\"label\",\"n\"]}]}}");
        EmulatorClient.Response probe = client.get("/api/test_streaming_export_connection", "Authorization", "Convex " + client.adminKey());
        assertThat(probe.status()).isEqualTo(200);
        assertThat(probe.body()).isEqualTo("null");
    }

    @Test
    void listSnapshotRequiresAdminAndRejectsBadCursors() {
        assertThat(client.get("/api/list_snapshot").status()).isEqualTo(403);
        EmulatorClient.Response bad = client.get("/api/list_snapshot?cursor=garbage", "Authorization", "Convex " + client.adminKey());
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("code").asText()).isEqualTo("InvalidListSnapshotCursor");
        convex.emulator().insert("items", NODES.objectNode().put("n", 1.0));
        EmulatorClient.Response post = client.adminJson("/api/list_snapshot", "{\"format\":\"json\"}");
        assertThat(post.status()).isEqualTo(200);
        assertThat(post.json().get("values")).hasSize(1);
        assertThat(post.json().get("hasMore").asBoolean()).isFalse();
    }
}

package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store's secondary indexes agree with a scan after every kind of write, at every snapshot, and after a restart. */
class SecondaryIndexTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String EVENTS = "stripe_events";

    private static ObjectNode event(String eventId, String customer, double processedAt) {
        ObjectNode doc = NODES.objectNode().put("eventId", eventId).put("processedAt", processedAt).put("attention", false);
        if (customer == null) {
            doc.putNull("stripeCustomerId");
        } else {
            doc.put("stripeCustomerId", customer);
        }
        return doc;
    }

    private static List<String> eventIds(List<ObjectNode> docs) {
        return docs.stream().map(doc -> doc.path("eventId").asText()).toList();
    }

    private static List<ObjectNode> lookup(DatabaseSnapshot snapshot, String field, JsonNode value) {
        return snapshot.table(EVENTS).map(table -> table.findEqual(field, value)).orElse(List.of());
    }

    @Test
    void lookupFollowsInsertPatchReplaceAndDelete() {
        try (DocumentStore store = new DocumentStore(Optional.empty())) {
            String a = store.write(tx -> tx.insert(EVENTS, event("evt_a", "cus_1", 1))).result();
            String b = store.write(tx -> tx.insert(EVENTS, event("evt_b", "cus_1", 2))).result();
            assertThat(store.latest().table(EVENTS).orElseThrow().isIndexed("eventId")).isTrue();
            assertThat(eventIds(lookup(store.latest(), "eventId", TextNode.valueOf("evt_a")))).containsExactly("evt_a");
            assertThat(eventIds(lookup(store.latest(), "stripeCustomerId", TextNode.valueOf("cus_1"))))
                    .containsExactlyInAnyOrder("evt_a", "evt_b");

            store.write(tx -> {
                tx.patch(a, NODES.objectNode().put("stripeCustomerId", "cus_2"));
                return null;
            });
            assertThat(eventIds(lookup(store.latest(), "stripeCustomerId", TextNode.valueOf("cus_1")))).containsExactly("evt_b");
            assertThat(eventIds(lookup(store.latest(), "stripeCustomerId", TextNode.valueOf("cus_2")))).containsExactly("evt_a");

            store.write(tx -> {
                tx.replace(b, event("evt_b2", null, 3));
                return null;
            });
            assertThat(lookup(store.latest(), "eventId", TextNode.valueOf("evt_b"))).isEmpty();
            assertThat(eventIds(lookup(store.latest(), "eventId", TextNode.valueOf("evt_b2")))).containsExactly("evt_b2");
            assertThat(eventIds(lookup(store.latest(), "stripeCustomerId", NODES.nullNode()))).containsExactly("evt_b2");

            store.write(tx -> {
                tx.delete(a);
                return null;
            });
            assertThat(lookup(store.latest(), "eventId", TextNode.valueOf("evt_a"))).isEmpty();
            assertThat(lookup(store.latest(), "stripeCustomerId", TextNode.valueOf("cus_2"))).isEmpty();
        }
    }

    @Test
    void writesInsideATransactionAreVisibleToItsOwnLookupsAndNotToReaders() {
        try (DocumentStore store = new DocumentStore(Optional.empty())) {
            store.write(tx -> {
                tx.insert(EVENTS, event("evt_1", "cus_1", 1));
                assertThat(eventIds(tx.queryByIndex(EVENTS, "eventId", TextNode.valueOf("evt_1")))).containsExactly("evt_1");
                assertThat(lookup(store.latest(), "eventId", TextNode.valueOf("evt_1"))).isEmpty();
                return null;
            });
            assertThatThrownBy(() -> store.write(tx -> {
                tx.insert(EVENTS, event("evt_rolled_back", "cus_1", 1));
                throw new IllegalStateException("abort");
            })).as("the body's exception reaches the caller").isInstanceOf(IllegalStateException.class).hasMessage("abort");
            assertThat(lookup(store.latest(), "eventId", TextNode.valueOf("evt_rolled_back"))).as("nothing committed").isEmpty();
        }
    }

    @Test
    void anOlderSnapshotKeepsItsOwnIndex() {
        try (DocumentStore store = new DocumentStore(Optional.empty())) {
            String id = store.write(tx -> tx.insert(EVENTS, event("evt_old", "cus_1", 1))).result();
            DatabaseSnapshot before = store.latest();
            store.write(tx -> {
                tx.patch(id, NODES.objectNode().put("eventId", "evt_new"));
                return null;
            });
            store.write(tx -> tx.insert(EVENTS, event("evt_other", "cus_1", 2)));
            DatabaseSnapshot readBack = store.at(before.timestamp()).orElseThrow();
            assertThat(eventIds(lookup(readBack, "eventId", TextNode.valueOf("evt_old")))).containsExactly("evt_old");
            assertThat(lookup(readBack, "eventId", TextNode.valueOf("evt_new"))).isEmpty();
            assertThat(lookup(readBack, "stripeCustomerId", TextNode.valueOf("cus_1"))).hasSize(1);
            assertThat(eventIds(lookup(store.latest(), "eventId", TextNode.valueOf("evt_new")))).containsExactly("evt_new");
            assertThat(lookup(store.latest(), "stripeCustomerId", TextNode.valueOf("cus_1"))).hasSize(2);
        }
    }

    @Test
    void indexesAreRebuiltFromTheJournalOnRestart(@TempDir Path dataDirectory) {
        String deleted;
        try (DocumentStore store = new DocumentStore(Optional.of(dataDirectory))) {
            store.write(tx -> tx.insert(EVENTS, event("evt_kept", "cus_1", 1)));
            deleted = store.write(tx -> tx.insert(EVENTS, event("evt_deleted", "cus_1", 2))).result();
            String patched = store.write(tx -> tx.insert(EVENTS, event("evt_patched", "cus_1", 3))).result();
            store.write(tx -> {
                tx.delete(deleted);
                tx.patch(patched, NODES.objectNode().put("stripeCustomerId", "cus_2"));
                return null;
            });
        }
        try (DocumentStore reopened = new DocumentStore(Optional.of(dataDirectory))) {
            DatabaseSnapshot latest = reopened.latest();
            assertThat(eventIds(lookup(latest, "eventId", TextNode.valueOf("evt_kept")))).containsExactly("evt_kept");
            assertThat(lookup(latest, "eventId", TextNode.valueOf("evt_deleted"))).isEmpty();
            assertThat(eventIds(lookup(latest, "stripeCustomerId", TextNode.valueOf("cus_1")))).containsExactly("evt_kept");
            assertThat(eventIds(lookup(latest, "stripeCustomerId", TextNode.valueOf("cus_2")))).containsExactly("evt_patched");
            // And the reopened store keeps maintaining them.
            reopened.write(tx -> tx.insert(EVENTS, event("evt_after", "cus_2", 4)));
            assertThat(lookup(reopened.latest(), "stripeCustomerId", TextNode.valueOf("cus_2"))).hasSize(2);
        }
    }

    @Test
    void rangeReadIsOldestFirstAndBounded() {
        try (DocumentStore store = new DocumentStore(Optional.empty())) {
            store.write(tx -> {
                tx.insert(EVENTS, event("evt_3", "c", 30));
                tx.insert(EVENTS, event("evt_1", "c", 10));
                tx.insert(EVENTS, event("evt_2", "c", 20));
                tx.insert(EVENTS, event("evt_4", "c", 40));
                tx.insert(EVENTS, NODES.objectNode().put("eventId", "evt_no_time"));
                return null;
            });
            StoredTable table = store.latest().table(EVENTS).orElseThrow();
            assertThat(eventIds(table.findNumberBelow("processedAt", 35, 10))).containsExactly("evt_1", "evt_2", "evt_3");
            assertThat(eventIds(table.findNumberBelow("processedAt", 35, 2))).containsExactly("evt_1", "evt_2");
            assertThat(table.findNumberBelow("processedAt", 5, 10)).isEmpty();
        }
    }

    /** Random inserts, patches and deletes: every lookup, at every snapshot, equals a scan of that snapshot. */
    @Test
    void indexLookupsEqualScansUnderRandomWrites() {
        Random random = new Random(42);
        try (DocumentStore store = new DocumentStore(Optional.empty())) {
            List<String> ids = new ArrayList<>();
            List<DatabaseSnapshot> snapshots = new ArrayList<>();
            for (int round = 0; round < 300; round++) {
                store.write(tx -> {
                    for (int op = 0; op < 1 + random.nextInt(3); op++) {
                        int kind = ids.isEmpty() ? 0 : random.nextInt(3);
                        String customer = "cus_" + random.nextInt(8);
                        if (kind == 0) {
                            ids.add(tx.insert(EVENTS, event("evt_" + random.nextInt(50), customer, random.nextInt(100))));
                        } else if (kind == 1) {
                            ObjectNode change = NODES.objectNode().put("stripeCustomerId", customer);
                            if (random.nextBoolean()) {
                                change.put("attention", true);
                            }
                            tx.patch(ids.get(random.nextInt(ids.size())), change);
                        } else {
                            tx.delete(ids.remove(random.nextInt(ids.size())));
                        }
                    }
                    return null;
                });
                if (round % 25 == 0) {
                    snapshots.add(store.latest());
                }
            }
            snapshots.add(store.latest());
            for (DatabaseSnapshot snapshot : snapshots) {
                List<ObjectNode> all = snapshot.documents(EVENTS);
                for (int i = 0; i < 8; i++) {
                    JsonNode customer = TextNode.valueOf("cus_" + i);
                    assertThat(lookup(snapshot, "stripeCustomerId", customer))
                            .isEqualTo(all.stream().filter(doc -> doc.get("stripeCustomerId").equals(customer)).toList());
                }
                for (int i = 0; i < 50; i++) {
                    JsonNode eventId = TextNode.valueOf("evt_" + i);
                    assertThat(lookup(snapshot, "eventId", eventId))
                            .isEqualTo(all.stream().filter(doc -> doc.get("eventId").equals(eventId)).toList());
                }
                assertThat(lookup(snapshot, "attention", BooleanNode.TRUE))
                        .isEqualTo(all.stream().filter(doc -> doc.get("attention").booleanValue()).toList());
            }
        }
    }
}

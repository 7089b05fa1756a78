package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** With a data directory, a restart keeps tables, ids, creation times, numbers and value types. */
class EmulatorPersistenceTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Test
    void aDataDirectoryServesOneEmulatorAtATime(@TempDir Path dataDir) {
        ConvexEmulator.Config config = ConvexEmulator.Config.ephemeral().withDataDirectory(dataDir);
        try (ConvexEmulator first = new ConvexEmulator(config).start()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ConvexEmulator(config).start())
                    .hasMessageContaining("is in use by another running emulator");
            assertThat(first.documents("users")).isEmpty();
        }
        try (ConvexEmulator again = new ConvexEmulator(config).start()) {
            assertThat(again.documents("users")).isEmpty();
        }
    }

    @Test
    void restartKeepsAllCommittedData(@TempDir Path dataDir) throws Exception {
        ConvexEmulator.Config config = ConvexEmulator.Config.ephemeral().withDataDirectory(dataDir);
        List<ObjectNode> usersBefore;
        List<ObjectNode> eventsBefore;
        int eventsNumber;
        String key;
        try (ConvexEmulator first = new ConvexEmulator(config).start()) {
            key = first.adminKey();
            String alice = first.runMutation("users:upsert", NODES.objectNode().put("authSubject", "p|alice")).textValue();
            first.runMutation("users:upsert", NODES.objectNode().put("authSubject", "p|bob"));
            first.runMutation("users:linkStripeCustomer", NODES.objectNode().put("userId", alice).put("stripeCustomerId", "cus_1"));
            ObjectNode event = NODES.objectNode().put("eventId", "evt").put("ratio", 2.0);
            event.set("created", ConvexValues.int64(42));
            event.set("raw", ConvexValues.bytes(new byte[]{9}));
            first.insert("stripe_events", event);
            String doomed = first.insert("stripe_events", NODES.objectNode().put("eventId", "gone"));
            first.store().write(tx -> {
                tx.delete(doomed);
                return null;
            });
            usersBefore = first.documents("users");
            eventsBefore = first.documents("stripe_events");
            eventsNumber = first.store().latest().table("stripe_events").orElseThrow().number();
        }
        try (ConvexEmulator second = new ConvexEmulator(config).start()) {
            assertThat(second.adminKey()).as("a generated key is kept with the data").isEqualTo(key);
            assertThat(second.documents("users")).isEqualTo(usersBefore);
            assertThat(second.documents("stripe_events")).isEqualTo(eventsBefore);
            ObjectNode event = second.documents("stripe_events").get(0);
            assertThat(event.get("created").isIntegralNumber()).isTrue();
            assertThat(event.get("ratio").isDouble()).isTrue();
            assertThat(event.get("raw").isBinary()).isTrue();
            assertThat(second.store().latest().table("stripe_events").orElseThrow().number()).isEqualTo(eventsNumber);
            double newest = usersBefore.stream().mapToDouble(d -> d.get("_creationTime").doubleValue()).max().orElseThrow();
            String carol = second.runMutation("users:upsert", NODES.objectNode().put("authSubject", "p|carol")).textValue();
            assertThat(second.store().latest().get(carol).orElseThrow().get("_creationTime").doubleValue()).isGreaterThan(newest);
        }
        assertThat(Files.readAllLines(dataDir.resolve("journal.jsonl"))).as("compacted to one line plus new commits")
                .hasSizeLessThanOrEqualTo(2);
    }
}

package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the official {@code convex@1.48.0} CLI (src/test/convex-cli) against the emulator: export,
 * then import the ZIP back with --replace, and check ids, creation times and int64/float64 survive.
 * Tagged {@code npm} so a build without Node can exclude it explicitly
 * ({@code -Dsurefire.excludedGroups=npm}); when it runs without node/npm it fails, never skips.
 */
class OfficialCliRoundTripTest extends OfficialCliTest {
    @Test
    void exportThenReplaceImportRoundTripsIdsCreationTimesAndNumberTypes(@TempDir Path temp) throws Exception {
        ObjectNode event = NODES.objectNode().put("eventId", "evt_1").put("type", "customer.subscription.updated")
                .put("livemode", false).put("processedAt", 1_790_000_000_123.0).put("outcome", "applied").putNull("reason");
        event.set("created", ConvexValues.int64(1_790_000_000L));
        emulator.insert("stripe_events", event);
        ObjectNode roundFloat = NODES.objectNode().put("key", "subscriptions").put("startedAt", 3.0);
        roundFloat.set("blob", ConvexValues.bytes(new byte[]{0, 1}));
        emulator.insert("stripe_reconcile_state", roundFloat);
        emulator.runMutation("users:upsert", NODES.objectNode().put("authSubject", "cli|alice").put("email", "a@x"));
        Map<String, String> before = allDocuments();

        Path zip = temp.resolve("snapshot.zip");
        ConvexCli.Result export = cli("export", "--path", zip.toString());
        assertThat(export.exitCode()).as("convex export output:\n%s", export.output()).isZero();
        assertThat(zip).exists();

        // Change the data so the import has something to replace.
        emulator.runMutation("users:upsert", NODES.objectNode().put("authSubject", "cli|bob"));
        emulator.insert("stripe_events", NODES.objectNode().put("eventId", "evt_extra"));

        ConvexCli.Result importResult = cli("import", "--replace", "-y", zip.toString());
        assertThat(importResult.exitCode()).as("convex import output:\n%s", importResult.output()).isZero();
        assertThat(importResult.output()).contains("Added 3 documents");

        assertThat(allDocuments()).isEqualTo(before);
        ObjectNode imported = emulator.documents("stripe_events").get(0);
        assertThat(imported.get("created").isIntegralNumber()).as("int64 stays int64").isTrue();
        assertThat(emulator.documents("stripe_reconcile_state").get(0).get("startedAt").isDouble())
                .as("float64 3.0 stays float64").isTrue();
    }

    /** Every user document, keyed by _id, as export_json text: equal maps mean identical data. */
    private Map<String, String> allDocuments() {
        return emulator.store().latest().userTablesByNumber().stream()
                .flatMap(table -> table.documents().values().stream())
                .collect(Collectors.toMap(doc -> doc.get("_id").asText(),
                        doc -> ConvexValues.write(ConvexValues.toExportJson(doc)), (a, b) -> a, java.util.TreeMap::new));
    }
}

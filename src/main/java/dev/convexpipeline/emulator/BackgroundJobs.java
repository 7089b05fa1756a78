package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.functions.SystemFunctions;
import dev.convexpipeline.emulator.store.DocumentStore;
import dev.convexpipeline.emulator.store.Transaction;

import java.time.Instant;
import java.util.Set;

/** Start-up recovery for exports and imports whose worker died with the previous process. */
final class BackgroundJobs {
    private static final Set<String> RUNNING_EXPORT = Set.of("requested", "in_progress");
    private static final Set<String> RUNNING_IMPORT = Set.of("uploaded", "in_progress");

    private BackgroundJobs() {
    }

    /**
     * Marks interrupted jobs failed; otherwise a persisted "in_progress" export would block every
     * later export with ExportInProgress.
     */
    static void failInterrupted(DocumentStore store) {
        store.write(tx -> {
            long now = Instant.now().getEpochSecond() * 1_000_000_000L + Instant.now().getNano();
            for (ObjectNode export : tx.query(SystemFunctions.EXPORTS_TABLE)) {
                if (RUNNING_EXPORT.contains(export.path("state").asText())) {
                    ObjectNode changed = withoutSystemFields(export);
                    changed.put("state", "failed");
                    changed.remove("progress_message");
                    changed.set("failed_ts", ConvexValues.int64(now));
                    tx.replace(export.get(Transaction.ID_FIELD).asText(), changed);
                }
            }
            for (ObjectNode snapshotImport : tx.query(SystemFunctions.SNAPSHOT_IMPORTS_TABLE)) {
                if (RUNNING_IMPORT.contains(snapshotImport.path("state").path("state").asText())) {
                    ObjectNode changed = withoutSystemFields(snapshotImport);
                    changed.set("state", JsonNodeFactory.instance.objectNode().put("state", "failed")
                            .put("error_message", "Hit an error while importing:\nThe emulator restarted while this import was running; start it again"));
                    tx.replace(snapshotImport.get(Transaction.ID_FIELD).asText(), changed);
                }
            }
            return null;
        });
    }

    private static ObjectNode withoutSystemFields(ObjectNode document) {
        ObjectNode copy = document.deepCopy();
        copy.remove(Transaction.ID_FIELD);
        copy.remove(Transaction.CREATION_TIME_FIELD);
        return copy;
    }
}

package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.SnapshotScanner;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ExportStatus;
import dev.convexpipeline.convex.ImportMode;
import dev.convexpipeline.convex.ImportOptions;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A restore straight into a deployment through its snapshot import (the {@code npx convex import}
 * protocol), read back through a snapshot export scanned the way a backup is.
 */
public final class ConvexRestoreTarget implements RestoreTarget {
    private final ConvexClient client;
    private final Duration timeout;
    private final Consumer<String> progress;

    public ConvexRestoreTarget(ConvexClient client, Duration timeout, Consumer<String> progress) {
        this.client = client;
        this.timeout = timeout;
        this.progress = progress;
    }

    @Override
    public String describe() {
        return client.config().deploymentUrl().toString();
    }

    @Override
    public long importSnapshot(InputStream zip, boolean everyTable) {
        ImportOptions options = ImportOptions.zip(everyTable ? ImportMode.REPLACE_ALL : ImportMode.REPLACE)
                .withConfirmDeletes(true).withTimeout(timeout).withProgress(progress);
        return client.importSnapshot(zip, options).numRowsWritten();
    }

    @Override
    public Map<String, SnapshotScanner.TableStats> readBack() throws Exception {
        ExportStatus done = client.awaitExport(client.requestExport(false), timeout, Duration.ofSeconds(1), progress);
        try (InputStream zip = client.openExportStream(done.startTs())) {
            SnapshotScanner.Result scanned = SnapshotScanner.scan(zip, OutputStream.nullOutputStream(), false);
            Map<String, SnapshotScanner.TableStats> tables = new TreeMap<>();
            scanned.tables().forEach((table, stats) -> {
                if (SnapshotScanner.isUserTable(table)) {
                    tables.put(table, stats);
                }
            });
            return tables;
        }
    }
}

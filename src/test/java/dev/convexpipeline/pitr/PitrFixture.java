package dev.convexpipeline.pitr;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.backup.BackupLayout;
import dev.convexpipeline.backup.BackupManifest;
import dev.convexpipeline.backup.BackupMetrics;
import dev.convexpipeline.backup.BackupService;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.backup.ConvexSnapshotSource;
import dev.convexpipeline.backup.RetentionPolicy;
import dev.convexpipeline.backup.SnapshotScanner;
import dev.convexpipeline.backup.TableDigest;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.convex.SnapshotPage;
import dev.convexpipeline.convex.ImportMode;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.migration.MigrationJournal;
import dev.convexpipeline.migration.MigrationMetrics;
import dev.convexpipeline.migration.MigrationSettings;
import dev.convexpipeline.migration.Migrator;
import dev.convexpipeline.testing.ConvexEmulatorExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** A source emulator, backup storage in a directory, backups and change capture against them. */
final class PitrFixture implements AutoCloseable {
    static final String INSTANCE = ConvexEmulator.DEFAULT_INSTANCE_NAME;

    final ConvexEmulator source = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
    final ConvexClient client = client(source);
    final BackupTarget storage;
    final BackupLayout layout = new BackupLayout(INSTANCE);
    final Path spill;
    private final BackupService backups;

    PitrFixture(BackupTarget storage, Path spill) {
        this.storage = storage;
        this.spill = spill;
        this.backups = new BackupService(storage, new ConvexSnapshotSource(client, INSTANCE, false, Duration.ofMinutes(1)),
                new RetentionPolicy(Duration.ofDays(30), 7), new BackupMetrics(), Clock.systemUTC());
    }

    /**
     * A deployment to restore into, under its own instance name: a restore keeps the target's rollback
     * point in the target's folder, which must not be the source's (it would join the source's chain).
     */
    static ConvexEmulator emulator(String instance) {
        return new ConvexEmulator(ConvexEmulator.Config.ephemeral().withInstanceName(instance)).start();
    }

    static ConvexClient client(ConvexEmulator emulator) {
        return ConvexEmulatorExtension.quickClient(emulator.url(), emulator.adminKey());
    }

    BackupManifest backup() {
        return backups.run();
    }

    /** A capturer as a freshly started process would build it. */
    ChangeCapture capture(BackupTarget through) {
        return new ChangeCapture(through, layout, client::documentDeltasPage, new CaptureMetrics(Clock.systemUTC()),
                Clock.systemUTC(), spill);
    }

    ChangeCapture capture() {
        return capture(storage);
    }

    RestoreService restoreService() {
        return new RestoreService(storage, layout, spill);
    }

    /**
     * Restores the state at {@code atTs} into {@code target} the way {@code restore} does: a migration from
     * the moment (replace-all, or replace with tables), run by a migrator on this fixture's storage.
     */
    MigrationJournal restore(long atTs, Set<String> tables, ConvexEmulator target) throws Exception {
        Map<String, String> properties = Map.of("backup.instance", INSTANCE, "migration.target-admin-key", target.adminKey(),
                "changes.spill-directory", spill.toString());
        try (Migrator migrator = new Migrator(MigrationSettings.load(dev.convexpipeline.testing.TestSettings.with(properties)), storage, Clock.systemUTC(),
                new MigrationMetrics())) {
            return migrator.run(new Migrator.Request(Migrator.pointInTime(atTs), target.url(),
                    tables == null ? List.of() : List.copyOf(tables), tables == null ? ImportMode.REPLACE_ALL : ImportMode.REPLACE,
                    false, false, true, false, null, null), Migrator.Confirmation.REFUSE);
        }
    }

    String insert(String table, String key, int value) {
        ObjectNode fields = ConvexValues.MAPPER.createObjectNode().put("key", key);
        fields.set("n", ConvexValues.int64(value));
        return source.insert(table, fields);
    }

    void patch(String id, int value) {
        ObjectNode fields = ConvexValues.MAPPER.createObjectNode().put("patched", true);
        fields.set("n", ConvexValues.int64(value));
        source.store().write(tx -> {
            tx.patch(id, fields);
            return null;
        });
    }

    void delete(String id) {
        source.store().write(tx -> {
            tx.delete(id);
            return null;
        });
    }

    /** The deployment's state, read through list_snapshot at one snapshot timestamp. */
    record Moment(long ts, Map<String, Map<String, String>> tables) {
        Map<String, SnapshotScanner.TableStats> stats() {
            Map<String, SnapshotScanner.TableStats> stats = new TreeMap<>();
            tables.forEach((table, documents) -> {
                TableDigest digest = new TableDigest();
                documents.values().forEach(line -> digest.add(sha256(line)));
                stats.put(table, new SnapshotScanner.TableStats(documents.size(), digest.hex()));
            });
            return stats;
        }
    }

    static Moment read(ConvexClient client) {
        Map<String, Map<String, String>> tables = new TreeMap<>();
        Long snapshot = null;
        String cursor = null;
        long ts;
        do {
            SnapshotPage page = client.listSnapshotPage(null, snapshot, cursor);
            snapshot = page.snapshot();
            cursor = page.cursor();
            page.documents().forEach(d -> tables.computeIfAbsent(d.table(), t -> new TreeMap<>())
                    .put(d.id(), ConvexValues.write(ConvexValues.toExportJson(d.document()))));
            ts = page.snapshot();
            if (!page.hasMore()) {
                break;
            }
        } while (true);
        return new Moment(ts, tables);
    }

    static byte[] sha256(String line) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        client.close();
        source.stop();
    }
}

package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.BackupManifest;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.backup.LocalDirectoryTarget;
import dev.convexpipeline.migration.MigrationJournal;
import dev.convexpipeline.migration.MigrationStatus;
import dev.convexpipeline.backup.SnapshotScanner;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.testing.ForwardingBackupTarget;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Point-in-time restore end to end against the emulator: a base backup, writes of every kind while
 * change capture runs (inserts, updates, deletes, a table created after the base), the state read
 * through list_snapshot at several moments, and each moment restored into a fresh emulator.
 */
class PointInTimeRestoreTest {
    @TempDir
    Path temp;

    private PitrFixture fixture;
    private final List<ConvexEmulator> targets = new ArrayList<>();

    @BeforeEach
    void start() {
        fixture = new PitrFixture(new LocalDirectoryTarget(temp.resolve("backups")), temp);
    }

    @AfterEach
    void stop() {
        targets.forEach(ConvexEmulator::stop);
        fixture.close();
    }

    @Test
    void restoresEveryRecordedMomentExactlyIncludingOneInsideASegmentOpenWhenTheCapturerDied() throws Exception {
        List<String> messages = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            messages.add(fixture.insert("messages", "m" + i, i));
        }
        String user = fixture.insert("users", "alice", 1);
        BackupManifest base = fixture.backup();
        List<PitrFixture.Moment> moments = new ArrayList<>();
        moments.add(PitrFixture.read(fixture.client));

        // Changes after the base: inserts, updates and deletes of base documents.
        ChangeCapture capture = fixture.capture();
        String late = fixture.insert("messages", "late", 100);
        fixture.patch(messages.get(0), 1000);
        fixture.delete(messages.get(1));
        moments.add(PitrFixture.read(fixture.client));
        assertThat(capture.captureOnce().outcome()).isEqualTo(ChangeCapture.Cycle.WROTE);

        // A table created after the base; changes to documents created after the base.
        String audit1 = fixture.insert("audit", "a1", 1);
        fixture.insert("audit", "a2", 2);
        fixture.patch(late, 101);
        fixture.delete(messages.get(2));
        fixture.patch(user, 2);
        moments.add(PitrFixture.read(fixture.client));
        assertThat(capture.captureOnce().segments()).isEqualTo(1);

        // The capturer dies after uploading a segment but before its manifest: that segment does not exist.
        fixture.delete(audit1);
        fixture.insert("audit", "a3", 3);
        fixture.patch(messages.get(3), 3000);
        PitrFixture.Moment insideOpenSegment = PitrFixture.read(fixture.client);
        moments.add(insideOpenSegment);
        ChangeCapture dying = fixture.capture(new DiesBeforeManifest(fixture.storage));
        assertThatThrownBy(dying::captureOnce).hasMessageContaining("killed");

        // More writes; a fresh capturer (the restarted process) resumes from the last complete segment.
        fixture.delete(late);
        fixture.insert("messages", "after-restart", 7);
        moments.add(PitrFixture.read(fixture.client));
        ChangeCapture restarted = fixture.capture();
        ChangeCapture.Cycle resumed = restarted.captureOnce();
        assertThat(resumed.outcome()).isEqualTo(ChangeCapture.Cycle.WROTE);
        assertThat(restarted.captureOnce().outcome()).as("nothing new: nothing written").isEqualTo(ChangeCapture.Cycle.QUIET);

        ChangeCatalog.Listing listing = fixture.restoreService().planner().listing();
        assertThat(listing.chains()).hasSize(1);
        ChangeCatalog.Chain chain = listing.chains().get(0);
        assertThat(chain.start()).isEqualTo(base.snapshotTs());
        assertThat(chain.segments()).hasSize(3);
        for (int i = 1; i < chain.segments().size(); i++) {
            assertThat(chain.segments().get(i).fromTs()).as("no gap, no overlap").isEqualTo(chain.segments().get(i - 1).toTs());
        }
        assertThat(listing.incomplete()).as("the killed flush's body, without manifest").hasSize(1);
        assertThat(chain.end()).isGreaterThanOrEqualTo(moments.get(moments.size() - 1).ts());

        for (PitrFixture.Moment moment : moments) {
            assertRestoresTo(moment);
        }
        assertThat(moments.get(3)).isSameAs(insideOpenSegment);
    }

    @Test
    void dryRunReportsBaseSegmentsAndCountsWithoutWriting() throws Exception {
        fixture.insert("messages", "m0", 0);
        String doomed = fixture.insert("messages", "m1", 1);
        BackupManifest base = fixture.backup();
        ChangeCapture capture = fixture.capture();
        fixture.delete(doomed);
        fixture.insert("audit", "a", 1);
        PitrFixture.Moment moment = PitrFixture.read(fixture.client);
        capture.captureOnce();

        RestoreService.Report report = fixture.restoreService().dryRun(moment.ts(), null);
        assertThat(report.plan().base().id()).isEqualTo(base.id());
        assertThat(report.plan().segments()).hasSize(1);
        assertThat(nonEmpty(report.written().tables())).isEqualTo(moment.stats());

        RestoreService.Report onlyAudit = fixture.restoreService().dryRun(moment.ts(), java.util.Set.of("audit"));
        assertThat(onlyAudit.written().tables()).containsOnlyKeys("audit");
    }

    @Test
    void restoringSomeTablesReplacesOnlyThoseAndLeavesTheOthers() throws Exception {
        fixture.insert("messages", "m0", 0);
        fixture.backup();
        ChangeCapture capture = fixture.capture();
        fixture.insert("audit", "a1", 1);
        fixture.insert("messages", "m1", 1);
        PitrFixture.Moment moment = PitrFixture.read(fixture.client);
        capture.captureOnce();

        ConvexEmulator target = PitrFixture.emulator("restore-target");
        targets.add(target);
        target.insert("keep", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("x", 1));
        target.insert("audit", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("old", true));
        try (ConvexClient client = PitrFixture.client(target)) {
            MigrationJournal restore = fixture.restore(moment.ts(), java.util.Set.of("audit"), target);
            assertThat(restore.status()).as(restore.error()).isEqualTo(MigrationStatus.VERIFIED);
            PitrFixture.Moment restored = PitrFixture.read(client);
            assertThat(restored.tables().get("audit")).isEqualTo(moment.tables().get("audit"));
            assertThat(restored.tables()).containsKey("keep").doesNotContainKey("messages");
        }
    }

    @Test
    void pastTheMemoryLimitTheChangedIdsAreIndexedOnDiskWithTheSameResult() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(fixture.insert("messages", "m" + i, i));
        }
        fixture.backup();
        ChangeCapture capture = fixture.capture();
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 10; i++) {
                fixture.patch(ids.get(i), round * 100 + i); // the same ids again and again: the newest must win
            }
        }
        fixture.delete(ids.get(0));
        fixture.insert("audit", "a", 1);
        fixture.insert("messages", "new", 1);
        PitrFixture.Moment moment = PitrFixture.read(fixture.client);
        capture.captureOnce();

        RestorePlan plan = fixture.restoreService().planner().plan(moment.ts());
        Materializer.Result inMemory = new Materializer(fixture.storage, temp).write(plan, null, java.io.OutputStream.nullOutputStream());
        Materializer.Result onDisk = new Materializer(fixture.storage, temp, 3).write(plan, null, java.io.OutputStream.nullOutputStream());
        assertThat(inMemory.indexOnDisk()).isFalse();
        assertThat(onDisk.indexOnDisk()).isTrue();
        assertThat(onDisk.changedIds()).isEqualTo(inMemory.changedIds()).isEqualTo(12);
        assertThat(nonEmpty(onDisk.tables())).isEqualTo(nonEmpty(inMemory.tables())).isEqualTo(moment.stats());
        try (var files = java.nio.file.Files.list(temp)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("restore-")))
                    .as("spill files are removed").isEmpty();
        }
    }

    @Test
    void aGapIsRecordedReportedAndNeverBridgedUntilANewBaseStartsANewChain() throws Exception {
        fixture.insert("messages", "m0", 0);
        fixture.backup();
        ChangeCaptureOperations operations = new ChangeCaptureOperations(fixture.capture(), Clock.systemUTC());
        ChangeCaptureCheck health = new ChangeCaptureCheck(operations, Duration.ofMinutes(5), Clock.systemUTC());
        fixture.insert("messages", "m1", 1);
        PitrFixture.Moment beforeGap = PitrFixture.read(fixture.client);
        assertThat(operations.scheduled()).containsEntry("outcome", ChangeCapture.Cycle.WROTE);
        assertThat(health.call().getState()).isEqualTo(org.apache.camel.health.HealthCheck.State.UP);

        // Changes made while capture was not looking, then forgotten by the deployment (past its retention).
        fixture.insert("messages", "lost", 2);
        PitrFixture.Moment inGap = PitrFixture.read(fixture.client);
        fixture.source.store().forgetChangesThrough(fixture.source.store().latest().timestamp());
        assertThat(operations.scheduled()).containsEntry("outcome", ChangeCapture.Cycle.BROKEN);

        ChangeCatalog.Listing listing = fixture.restoreService().planner().listing();
        assertThat(listing.breaks()).hasSize(1);
        assertThat(listing.chains().get(0).broken()).isNotNull();
        var result = health.call();
        assertThat(result.getState()).isEqualTo(org.apache.camel.health.HealthCheck.State.DOWN);
        assertThat(result.getMessage()).get().asString().contains("gap").contains("backup run");
        assertThatThrownBy(() -> fixture.restoreService().dryRun(inGap.ts(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gap");

        // Still broken while no newer base exists: nothing is captured across the gap.
        assertThat(operations.scheduled()).containsEntry("outcome", ChangeCapture.Cycle.BROKEN);

        BackupManifest newBase = fixture.backup();
        fixture.insert("messages", "after", 3);
        PitrFixture.Moment afterNewBase = PitrFixture.read(fixture.client);
        assertThat(operations.scheduled()).containsEntry("outcome", ChangeCapture.Cycle.WROTE);
        assertThat(health.call().getState()).isEqualTo(org.apache.camel.health.HealthCheck.State.UP);

        listing = fixture.restoreService().planner().listing();
        assertThat(listing.chains()).hasSize(2);
        assertThat(listing.chains().get(1).start()).isEqualTo(newBase.snapshotTs());
        assertThatThrownBy(() -> fixture.restoreService().dryRun(inGap.ts(), null)).hasMessageContaining("gap");
        assertRestoresTo(beforeGap);
        assertRestoresTo(afterNewBase);

        // Backup retention removes the first base: its chain and the break go with it, the new chain stays.
        var oldBase = new dev.convexpipeline.backup.BackupCatalog(fixture.storage, fixture.layout).read().backups().stream()
                .filter(b -> !b.id().equals(newBase.id())).findFirst().orElseThrow();
        fixture.storage.delete(oldBase.manifestKey());
        fixture.storage.delete(oldBase.zipKey());
        List<String> wouldGo = ChangeRetention.prune(fixture.storage, fixture.layout, java.time.Instant.now(), true);
        assertThat(wouldGo).hasSize(2 * listing.chains().get(0).segments().size() + 1);
        assertThat(fixture.restoreService().planner().listing().chains()).as("a dry run deletes nothing").hasSize(2);
        ChangeRetention.prune(fixture.storage, fixture.layout, java.time.Instant.now(), false);
        listing = fixture.restoreService().planner().listing();
        assertThat(listing.chains()).hasSize(1);
        assertThat(listing.breaks()).isEmpty();
        assertThat(listing.chains().get(0).start()).isEqualTo(newBase.snapshotTs());
        assertRestoresTo(afterNewBase);
    }

    private void assertRestoresTo(PitrFixture.Moment moment) throws Exception {
        ConvexEmulator target = PitrFixture.emulator("restore-target");
        targets.add(target);
        // Something to replace: a restore must leave exactly the recorded state.
        target.insert("stale", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("x", 1));
        try (ConvexClient client = PitrFixture.client(target)) {
            MigrationJournal restore = fixture.restore(moment.ts(), null, target);
            assertThat(restore.status()).as("read-back of moment %s: %s", moment.ts(), restore.error())
                    .isEqualTo(MigrationStatus.VERIFIED);
            Map<String, SnapshotScanner.TableStats> stored = new TreeMap<>();
            restore.snapshot().tables().forEach((table, stats) -> {
                if (SnapshotScanner.isUserTable(table) && stats.documents() > 0) {
                    stored.put(table, new SnapshotScanner.TableStats(stats.documents(), stats.digest()));
                }
            });
            assertThat(stored).as("counts and digests at %s", moment.ts()).isEqualTo(moment.stats());
            PitrFixture.Moment restored = PitrFixture.read(client);
            assertThat(restored.tables()).as("documents at %s", moment.ts()).isEqualTo(moment.tables());
        }
    }

    private static Map<String, SnapshotScanner.TableStats> nonEmpty(Map<String, SnapshotScanner.TableStats> tables) {
        Map<String, SnapshotScanner.TableStats> result = new TreeMap<>();
        tables.forEach((table, stats) -> {
            if (stats.documents() > 0) {
                result.put(table, stats);
            }
        });
        return result;
    }

    /** Storage through which the segment uploads but the process "dies" before the manifest. */
    private static final class DiesBeforeManifest extends ForwardingBackupTarget {
        DiesBeforeManifest(BackupTarget delegate) {
            super(delegate);
        }

        @Override
        public void put(String key, byte[] content, String contentType) throws IOException {
            if (key.endsWith(".manifest.json")) {
                throw new IOException("capturing process killed before the manifest");
            }
            delegate.put(key, content, contentType);
        }
    }
}

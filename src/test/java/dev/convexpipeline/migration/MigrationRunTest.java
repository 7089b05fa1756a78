package dev.convexpipeline.migration;

import dev.convexpipeline.backup.BackupManifest;
import dev.convexpipeline.backup.BackupService;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.convex.ImportMode;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.emulator.functions.DeploymentState;
import dev.convexpipeline.testing.SampleDocuments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.net.ServerSocket;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Migrations between two emulators over HTTP, with snapshots, rollback points and journals in S3Proxy. */
class MigrationRunTest {
    @RegisterExtension
    final MigrationFixture fixture = new MigrationFixture();

    /** Every user document of a deployment, keyed by _id, as export JSON: equal maps mean identical data. */
    static Map<String, String> allDocuments(ConvexEmulator emulator) {
        Map<String, String> documents = new TreeMap<>();
        emulator.store().latest().userTablesByNumber().forEach(table -> table.documents().values().forEach(doc ->
                documents.put(table.name() + "/" + doc.get("_id").asText(), ConvexValues.write(ConvexValues.toExportJson(doc)))));
        return documents;
    }

    private static Migrator.Request request(MigrationFixture f, String from, ImportMode mode, List<String> tables,
                                            boolean dryRun) {
        return new Migrator.Request(from, f.target.url(), tables, mode, false, dryRun, true, false, null, null);
    }

    private List<String> storedKeys(Migrator migrator) throws Exception {
        return migrator.storage().list("").stream().map(o -> o.key()).toList();
    }

    @Test
    void liveSourceMigratesAndVerifies() throws Exception {
        try (Migrator migrator = fixture.migrator()) {
            MigrationJournal done = migrator.run(fixture.request(fixture.source.url(), null), Migrator.Confirmation.REFUSE);

            assertThat(done.status()).isEqualTo(MigrationStatus.VERIFIED);
            assertThat(done.report()).extracting(TableReport::table).containsExactlyInAnyOrder("messages", "users", "orders");
            assertThat(done.report()).allSatisfy(t -> assertThat(t.status()).isEqualTo("ok"));
            assertThat(allDocuments(fixture.target)).isEqualTo(allDocuments(fixture.source));
            assertThat(done.snapshot().instance()).isEqualTo("source-dev");
            assertThat(done.rollbackPoint()).isNotNull();
            assertThat(done.documentsWritten()).isEqualTo(29);
            MigrationJournal stored = migrator.journals().get(done.id());
            assertThat(stored.status()).isEqualTo(MigrationStatus.VERIFIED);
            // The source's export is kept as a pinned backup, the journal holds no key.
            assertThat(storedKeys(migrator)).anyMatch(k -> k.startsWith("source-dev/") && k.endsWith(done.snapshot().backupId() + ".pin"));
            String journalJson = new String(MigrationJournalStore.JSON.writeValueAsBytes(stored));
            assertThat(journalJson).doesNotContain(fixture.source.adminKey()).doesNotContain(fixture.target.adminKey());
        }
    }

    @Test
    void latestBackupMigratesAndVerifies() throws Exception {
        Map<String, String> properties = fixture.backupProperties();
        BackupManifest backup = fixture.backUpSource();
        fixture.source.insert("users", MigrationFixture.NODES.objectNode().put("name", "after the backup"));

        try (Migrator migrator = MigrationFixture.migrator(properties)) {
            MigrationJournal done = migrator.run(request(fixture, "latest", null, List.of(), false), Migrator.Confirmation.REFUSE);

            assertThat(done.status()).isEqualTo(MigrationStatus.VERIFIED);
            assertThat(done.snapshot().backupId()).isEqualTo(backup.id());
            assertThat(fixture.target.documents("users")).hasSize(3);
            assertThat(fixture.target.documents("messages")).hasSize(25);
        }
    }

    @Test
    void tablesOptionMovesOnlyThoseTables() throws Exception {
        try (Migrator migrator = fixture.migrator()) {
            MigrationJournal done = migrator.run(request(fixture, fixture.source.url(), null, List.of("users", "orders"), false),
                    Migrator.Confirmation.REFUSE);

            assertThat(done.status()).isEqualTo(MigrationStatus.VERIFIED);
            assertThat(done.report()).extracting(TableReport::table).containsExactly("users", "orders");
            assertThat(fixture.target.documents("users")).hasSize(3);
            assertThat(fixture.target.documents("orders")).hasSize(1);
            assertThat(fixture.target.documents("messages")).isEmpty();
            assertThat(fixture.target.store().latest().userTablesByNumber()).extracting(t -> t.name())
                    .doesNotContain("messages");
        }
    }

    @Test
    void dryRunPrintsThePlanAndWritesNothing() throws Exception {
        fixture.target.insert("users", MigrationFixture.NODES.objectNode().put("name", "existing"));
        Map<String, String> before = allDocuments(fixture.target);
        try (Migrator migrator = fixture.migrator()) {
            Migrator.Plan plan = migrator.preflight(request(fixture, fixture.source.url(), ImportMode.REPLACE_ALL, List.of(), true),
                    Migrator.Confirmation.REFUSE);

            assertThat(plan.journal().status()).isEqualTo(MigrationStatus.DRY_RUN);
            assertThat(plan.journal().report()).extracting(TableReport::table, TableReport::action, TableReport::snapshotDocuments,
                    TableReport::targetBefore).contains(
                    org.assertj.core.groups.Tuple.tuple("users", "replace", 3L, 1L),
                    org.assertj.core.groups.Tuple.tuple("messages", "create", 25L, 0L));
            assertThat(plan.contract()).isEqualTo("v1");
            assertThat(allDocuments(fixture.target)).isEqualTo(before);
            assertThat(storedKeys(migrator)).isEmpty();
        }
    }

    @Test
    void requireEmptyRefusesANonEmptyTargetBeforeWriting() throws Exception {
        fixture.target.insert("users", MigrationFixture.NODES.objectNode().put("name", "existing"));
        Map<String, String> before = allDocuments(fixture.target);
        try (Migrator migrator = fixture.migrator()) {
            assertThatThrownBy(() -> migrator.run(fixture.request(fixture.source.url(), null), Migrator.Confirmation.REFUSE))
                    .isInstanceOf(MigrationRefusedException.class)
                    .hasMessageContaining("already has documents in users")
                    .hasMessageContaining("require-empty");
            assertThat(allDocuments(fixture.target)).isEqualTo(before);
            assertThat(storedKeys(migrator)).isEmpty();
        }
    }

    @Test
    void destructiveModeWithoutYesAsksForTheInstanceName() throws Exception {
        try (Migrator migrator = fixture.migrator()) {
            Migrator.Request replace = new Migrator.Request(fixture.source.url(), fixture.target.url(), List.of(),
                    ImportMode.REPLACE, false, false, false, false, null, null);
            assertThatThrownBy(() -> migrator.run(replace, Migrator.Confirmation.REFUSE))
                    .isInstanceOf(MigrationRefusedException.class).hasMessageContaining("pass --yes");
            assertThatThrownBy(() -> migrator.run(replace, (question, expected) -> "wrong".equals(expected)))
                    .hasMessageContaining("does not match the target's instance name target-prod");
            assertThat(storedKeys(migrator)).isEmpty();
            assertThat(migrator.run(replace, (question, expected) -> expected.equals("target-prod")).status())
                    .isEqualTo(MigrationStatus.VERIFIED);
        }
    }

    @Test
    void replaceTakesARollbackPointAndRollbackRestoresTheTargetExactly() throws Exception {
        SampleDocuments.seed(fixture.target);
        fixture.target.insert("audit", MigrationFixture.NODES.objectNode().put("what", "only in the target"));
        Map<String, String> original = allDocuments(fixture.target);
        try (Migrator migrator = fixture.migrator()) {
            MigrationJournal done = migrator.run(request(fixture, fixture.source.url(), ImportMode.REPLACE, List.of(), false),
                    Migrator.Confirmation.REFUSE);
            assertThat(done.status()).isEqualTo(MigrationStatus.VERIFIED);
            assertThat(done.rollbackPoint()).isNotNull();
            assertThat(done.rollbackPointInstance()).isEqualTo("target-prod");
            assertThat(fixture.target.documents("users")).extracting(d -> d.get("_id").asText())
                    .containsExactlyInAnyOrderElementsOf(fixture.source.documents("users").stream().map(d -> d.get("_id").asText()).toList());

            MigrationJournal rolledBack = migrator.rollback(done.id(), true, Migrator.Confirmation.REFUSE);

            assertThat(rolledBack.status()).isEqualTo(MigrationStatus.ROLLED_BACK);
            assertThat(rolledBack.report()).extracting(TableReport::table)
                    .as("every table of the rollback point, the target-only one too")
                    .containsExactlyInAnyOrder("audit", "messages", "orders", "users");
            assertThat(rolledBack.report()).allSatisfy(t -> assertThat(t.status()).isEqualTo("ok"));
            assertThat(allDocuments(fixture.target)).isEqualTo(original);
        }
    }

    @Test
    void anAlteredTargetFailsVerifyNamingTheTableAndIds() throws Exception {
        try (Migrator migrator = fixture.migrator()) {
            MigrationJournal done = migrator.run(fixture.request(fixture.source.url(), null), Migrator.Confirmation.REFUSE);
            assertThat(done.status()).isEqualTo(MigrationStatus.VERIFIED);
            String extra = fixture.target.insert("messages", MigrationFixture.NODES.objectNode().put("body", "sneaked in"));

            MigrationJournal verified = migrator.verify(done.id());

            assertThat(verified.status()).isEqualTo(MigrationStatus.DIFFERENT);
            TableReport messages = verified.report().stream().filter(t -> t.table().equals("messages")).findFirst().orElseThrow();
            assertThat(messages.status()).isEqualTo("different");
            assertThat(messages.targetAfter()).isEqualTo(26);
            assertThat(messages.snapshotDocuments()).isEqualTo(25);
            assertThat(messages.differingIds()).singleElement().asString().startsWith(extra);
            assertThat(verified.report()).filteredOn(t -> !t.table().equals("messages"))
                    .hasSize(2).allSatisfy(t -> assertThat(t.status()).isEqualTo("ok"));
            assertThat(verified.error()).contains("messages");
        }
    }

    @Test
    void pauseSourcePausesUserFunctionsAndRollbackUnpauses() throws Exception {
        try (Migrator migrator = fixture.migrator()) {
            Migrator.Request request = new Migrator.Request(fixture.source.url(), fixture.target.url(), List.of(), null,
                    true, false, true, false, null, null);
            MigrationJournal done = migrator.run(request, Migrator.Confirmation.REFUSE);

            assertThat(done.status()).isEqualTo(MigrationStatus.VERIFIED);
            assertThat(done.sourcePaused()).isTrue();
            assertThat(done.steps()).anyMatch(s -> s.contains("stays paused"));
            assertThat(callUsersList(fixture.source)).contains(DeploymentState.PAUSED_ERROR_MESSAGE);
            assertThat(callUsersList(fixture.target)).isNull();

            MigrationJournal rolledBack = migrator.rollback(done.id(), true, Migrator.Confirmation.REFUSE);

            assertThat(rolledBack.sourcePaused()).isFalse();
            assertThat(callUsersList(fixture.source)).isNull();
            assertThat(fixture.target.documents("users")).isEmpty();
        }
    }

    @Test
    void aFailedMigrationUnpausesTheSource() throws Exception {
        try (Migrator migrator = fixture.migrator()) {
            Migrator.Request request = new Migrator.Request(fixture.source.url(), fixture.target.url(), List.of(), null,
                    true, false, true, false, null, null);
            Migrator.Plan plan = migrator.preflight(request, Migrator.Confirmation.REFUSE);
            migrator.pauseSource(plan.journal().id());
            assertThat(callUsersList(fixture.source)).contains(DeploymentState.PAUSED_ERROR_MESSAGE);
            fixture.target.stop();

            assertThatThrownBy(() -> migrator.runSteps(plan.journal().id())).isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("migrate resume " + plan.journal().id());

            MigrationJournal failed = migrator.journals().get(plan.journal().id());
            assertThat(failed.status()).isEqualTo(MigrationStatus.FAILED);
            assertThat(failed.sourcePaused()).isFalse();
            assertThat(callUsersList(fixture.source)).isNull();
        }
    }

    /** The error message of calling users:list, or null when it ran. */
    private static String callUsersList(ConvexEmulator emulator) throws Exception {
        try (dev.convexpipeline.convex.ConvexClient client = new dev.convexpipeline.convex.ConvexClient(
                dev.convexpipeline.convex.ConvexClientConfig.of(emulator.url(), emulator.adminKey()))) {
            client.query("users:list", MigrationFixture.NODES.objectNode());
            return null;
        } catch (dev.convexpipeline.convex.ConvexFunctionException e) {
            return e.errorMessage();
        }
    }

    /** ~10 MB of ZIP in 8,000 {@code events}: two 5 MiB parts at least, hex so that deflate cannot shrink it below that. */
    private void seedTenMegabytesOfEvents() {
        for (int i = 0; i < 8000; i++) {
            byte[] noise = new byte[700];
            ThreadLocalRandom.current().nextBytes(noise);
            fixture.source.insert("events", MigrationFixture.NODES.objectNode().put("n", i).put("payload", HexFormat.of().formatHex(noise)));
        }
    }

    /** Stands for the process dying: the migrator catches exceptions, not errors. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash() {
            super("process killed mid-upload (simulated)");
        }
    }

    @Test
    void aMigrationKilledMidUploadResumesToAVerifiedFinishWithoutImportingTwice() throws Exception {
        seedTenMegabytesOfEvents();
        Map<String, String> properties = fixture.backupProperties();
        BackupManifest backup = fixture.backUpSource();
        String id;
        try (Migrator migrator = MigrationFixture.migrator(properties)) {
            migrator.onPartSent(sent -> {
                throw new SimulatedCrash();
            });
            assertThatThrownBy(() -> migrator.run(request(fixture, backup.id(), null, List.of(), false), Migrator.Confirmation.REFUSE))
                    .isInstanceOf(SimulatedCrash.class);
            MigrationJournal killed = migrator.journals().list().get(0);
            id = killed.id();
            assertThat(killed.status()).isEqualTo(MigrationStatus.UPLOADING);
            assertThat(killed.status().finished()).isFalse();
            assertThat(killed.bytesSent()).isPositive().isLessThan(killed.bytesTotal());
            assertThat(killed.importId()).isNull();
        }
        assertThat(fixture.target.documents("events")).isEmpty();

        try (Migrator migrator = MigrationFixture.migrator(properties)) {
            MigrationJournal resumed = migrator.resume(id);

            assertThat(resumed.status()).isEqualTo(MigrationStatus.VERIFIED);
            assertThat(resumed.bytesSent()).isEqualTo(resumed.bytesTotal());
            assertThat(fixture.target.documents("events")).hasSize(8000);
            assertThat(allDocuments(fixture.target)).isEqualTo(allDocuments(fixture.source));
            assertThatThrownBy(() -> migrator.resume(id)).hasMessageContaining("already verified");
        }
    }

    @Test
    void aLiveExportWhoseUploadBreaksLeavesTheTargetUntouchedAndResumes() throws Exception {
        seedTenMegabytesOfEvents();
        String id;
        try (Migrator migrator = fixture.migrator()) {
            migrator.onPartSent(sent -> {
                throw new IllegalStateException("connection to the target lost (simulated)");
            });
            assertThatThrownBy(() -> migrator.run(fixture.request(fixture.source.url(), null), Migrator.Confirmation.REFUSE))
                    .isInstanceOf(MigrationFailedException.class).hasMessageContaining("connection to the target lost");
            MigrationJournal failed = migrator.journals().list().get(0);
            id = failed.id();
            assertThat(failed.status()).isEqualTo(MigrationStatus.FAILED);
            assertThat(failed.snapshot()).as("no backup kept of a broken stream").isNull();
            assertThat(failed.importId()).isNull();
        }
        assertThat(fixture.target.documents("events")).isEmpty();

        try (Migrator migrator = fixture.migrator()) {
            MigrationJournal resumed = migrator.resume(id);

            assertThat(resumed.status()).isEqualTo(MigrationStatus.VERIFIED);
            assertThat(resumed.steps()).anyMatch(s -> s.contains("the same bytes uploaded to the target as import"));
            assertThat(allDocuments(fixture.target)).isEqualTo(allDocuments(fixture.source));
        }
    }

    @Test
    void anUploadedButUnconfirmedImportIsConfirmedOnResumeNotUploadedAgain() throws Exception {
        String id;
        try (Migrator migrator = fixture.migrator()) {
            Migrator.Plan plan = migrator.preflight(fixture.request(fixture.source.url(), null), Migrator.Confirmation.REFUSE);
            id = plan.journal().id();
            migrator.snapshot(id);
            migrator.rollbackPoint(id);
            // The process "dies" here: the export was uploaded to the target, nothing confirmed it.
            MigrationJournal journal = migrator.journals().get(id);
            assertThat(journal.importId()).isNotNull();
            assertThat(journal.status().finished()).isFalse();
        }
        assertThat(fixture.target.documents("users")).isEmpty();

        try (Migrator migrator = fixture.migrator()) {
            MigrationJournal resumed = migrator.resume(id);

            assertThat(resumed.status()).isEqualTo(MigrationStatus.VERIFIED);
            assertThat(resumed.steps()).isNotEmpty().noneMatch(s -> s.contains("import: checksum verified, uploading"));
            assertThat(fixture.target.documents("users")).hasSize(3);
            assertThat(fixture.target.documents("messages")).hasSize(25);
        }
        try (dev.convexpipeline.convex.ConvexClient target = new dev.convexpipeline.convex.ConvexClient(
                dev.convexpipeline.convex.ConvexClientConfig.of(fixture.target.url(), fixture.target.adminKey()))) {
            // One import for the migration (plus the rollback point's export): nothing was uploaded or applied twice.
            assertThat(target.query("_system/cli/queryImport:list", MigrationFixture.NODES.objectNode())).hasSize(1);
        }
    }

    // ---- refusals: each stops before any write, with one line ------------------------------

    private void assertRefusedWithoutWrites(Migrator migrator, Migrator.Request request, String reason) throws Exception {
        Map<String, String> before = allDocuments(fixture.target);
        List<String> keysBefore = storedKeys(migrator);
        assertThatThrownBy(() -> migrator.run(request, Migrator.Confirmation.REFUSE))
                .isInstanceOf(MigrationRefusedException.class)
                .hasMessageContaining(reason)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(allDocuments(fixture.target)).isEqualTo(before);
        assertThat(storedKeys(migrator)).isEqualTo(keysBefore);
    }

    @Test
    void aWrongTargetKeyIsRefused() throws Exception {
        assertRefusedWithKey("migration.target-admin-key", "target-prod|" + "00".repeat(32), "rejected the admin key");
    }

    @Test
    void anUnreachableTargetIsRefused() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        try (Migrator migrator = fixture.migrator()) {
            assertRefusedWithoutWrites(migrator, new Migrator.Request(fixture.source.url(), "http://127.0.0.1:" + closed,
                    List.of(), null, false, false, true, false, null, null), "is unreachable");
        }
    }

    @Test
    void aTargetWithoutTheContractIsRefusedWithTheDeployCommand() throws Exception {
        fixture.target.functions().internalQuery("pipeline:contract",
                (ctx, args) -> MigrationFixture.NODES.objectNode().put("version", 0.0));
        try (Migrator migrator = fixture.migrator()) {
            assertRefusedWithoutWrites(migrator, fixture.request(fixture.source.url(), null), "npx convex deploy");
            Migrator.Request skip = new Migrator.Request(fixture.source.url(), fixture.target.url(), List.of(), null,
                    false, false, true, true, null, null);
            assertThat(migrator.run(skip, Migrator.Confirmation.REFUSE).status()).isEqualTo(MigrationStatus.VERIFIED);
        }
    }

    @Test
    void aCorruptedSnapshotIsRefusedBeforeAnythingIsUploaded() throws Exception {
        Map<String, String> properties = fixture.backupProperties();
        BackupManifest backup;
        BackupTarget storage;
        try (BackupService service = fixture.backupService()) {
            backup = service.run();
            String zipKey = service.layout().key(backup.snapshotTs(), dev.convexpipeline.backup.BackupLayout.Kind.ZIP);
            byte[] zip;
            try (InputStream in = service.target().open(zipKey)) {
                zip = in.readAllBytes();
            }
            zip[zip.length / 2] ^= 0x20;
            service.target().put(zipKey, zip, "application/zip");
        }
        try (Migrator migrator = MigrationFixture.migrator(properties)) {
            assertRefusedWithoutWrites(migrator, request(fixture, backup.id(), null, List.of(), false), "is corrupted");
        }
    }

    @Test
    void aWrongSourceKeyIsRefused() throws Exception {
        assertRefusedWithKey("migration.source-admin-key", "source-dev|" + "11".repeat(32), "source");
    }

    /** A live migration with {@code keySetting} set to a key the deployment does not accept is refused, writing nothing. */
    private void assertRefusedWithKey(String keySetting, String wrongKey, String reason) throws Exception {
        Map<String, String> properties = fixture.properties();
        properties.put(keySetting, wrongKey);
        try (Migrator migrator = MigrationFixture.migrator(properties)) {
            assertRefusedWithoutWrites(migrator, fixture.request(fixture.source.url(), null), reason);
        }
    }
}

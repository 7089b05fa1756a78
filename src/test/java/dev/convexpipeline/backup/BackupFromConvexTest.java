package dev.convexpipeline.backup;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.sandbox.EmbeddedS3;
import dev.convexpipeline.testing.SampleDocuments;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Backups of the Convex emulator over HTTP, into S3Proxy and into a local directory. */
class BackupFromConvexTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static ConvexEmulator convex;
    private static EmbeddedS3 s3;

    @BeforeAll
    static void start() throws Exception {
        convex = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
        SampleDocuments.seed(convex);
        s3 = EmbeddedS3.start("127.0.0.1", 0, null, "convex-test", "convex-test-secret");
    }

    @AfterAll
    static void stop() throws Exception {
        convex.stop();
        s3.close();
    }

    static Map<String, String> s3Properties(String bucket) {
        s3.ensureBucket(bucket);
        Map<String, String> properties = new HashMap<>();
        properties.put("backup.target", "s3");
        properties.put("backup.prefix", "nightly");
        properties.put("s3.endpoint", s3.endpoint().toString());
        properties.put("s3.bucket", bucket);
        properties.put("s3.access-key", s3.accessKey());
        properties.put("s3.secret-key", s3.secretKey());
        properties.put("convex.url", convex.url());
        properties.put("convex.admin-key", convex.adminKey());
        return properties;
    }

    static BackupService service(Map<String, String> properties) {
        return BackupSettings.load(dev.convexpipeline.testing.TestSettings.with(properties)).createService(new BackupMetrics(), Clock.systemUTC());
    }

    /** Reads every documents.jsonl of a ZIP independently of the scanner. */
    static Map<String, List<String>> tablesIn(byte[] zip) throws IOException {
        Map<String, List<String>> tables = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
            ZipEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                if (entry.getName().endsWith("/documents.jsonl")) {
                    String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    tables.put(entry.getName().substring(0, entry.getName().length() - "/documents.jsonl".length()),
                            text.isEmpty() ? List.of() : Arrays.asList(text.split("\n")));
                }
            }
        }
        return tables;
    }

    static byte[] read(BackupTarget target, String key) throws IOException {
        try (InputStream in = target.open(key)) {
            return in.readAllBytes();
        }
    }

    @Test
    void aSnapshotCanBeReopenedForAnotherAttempt() throws Exception {
        try (dev.convexpipeline.convex.ConvexClient client = new dev.convexpipeline.convex.ConvexClient(
                dev.convexpipeline.convex.ConvexClientConfig.of(convex.url(), convex.adminKey()))) {
            ConvexSnapshotSource source = new ConvexSnapshotSource(client, null, false, java.time.Duration.ofMinutes(1));
            SnapshotSource.Snapshot taken = source.take();
            byte[] first;
            try (InputStream zip = taken.zip()) {
                first = zip.readAllBytes();
            }

            SnapshotSource.Snapshot again = source.reopen(taken).orElseThrow();

            assertThat(again.snapshotTs()).isEqualTo(taken.snapshotTs());
            assertThat(again.expectedBytes()).isEqualTo(first.length);
            try (InputStream zip = again.zip()) {
                assertThat(zip.readAllBytes()).isEqualTo(first);
            }
        }
    }

    @Test
    void multiTableBackupFromConvexHasAManifestThatMatchesTheZip() throws Exception {
        try (BackupService service = service(s3Properties("b-" + UUID.randomUUID().toString().substring(0, 8)))) {
            BackupManifest manifest = service.run();

            assertThat(manifest.source()).isEqualTo(new BackupManifest.Source(convex.url(), "convex-self-hosted"));
            assertThat(manifest.documents()).isEqualTo(29);
            assertThat(manifest.userTables()).isEqualTo(3);
            byte[] zip = read(service.target(), service.layout().key(manifest.snapshotTs(), BackupLayout.Kind.ZIP));
            assertThat(zip).hasSize((int) manifest.zip().bytes());
            assertThat(TestSnapshots.sha256(zip)).isEqualTo(manifest.zip().sha256());
            Map<String, List<String>> tables = tablesIn(zip);
            assertThat(manifest.tables().keySet()).isEqualTo(tables.keySet());
            for (Map.Entry<String, List<String>> table : tables.entrySet()) {
                assertThat(manifest.tables().get(table.getKey())).as(table.getKey()).isEqualTo(
                        new BackupManifest.Table(table.getValue().size(), TestSnapshots.expectedDigest(table.getValue())));
            }
            assertThat(manifest.tables().get("messages").documents()).isEqualTo(convex.documents("messages").size());
            assertThat(manifest.snapshotTs()).isPositive();
            assertThat(service.layout().key(manifest.snapshotTs(), BackupLayout.Kind.ZIP))
                    .matches("convex-self-hosted/\\d{4}/\\d{2}/\\d{2}/snapshot-" + manifest.snapshotTs() + "\\.zip");
            String json = new String(read(service.target(), service.layout().key(manifest.snapshotTs(),
                    BackupLayout.Kind.MANIFEST)), StandardCharsets.UTF_8);
            assertThat(json).doesNotContain(convex.adminKey()).doesNotContain(s3.secretKey());

            VerifyReport report = service.verify(manifest.id());
            assertThat(report.differences()).isEmpty();
        }
    }

    @Test
    void localDirectoryTargetWorksTheSameWay(@TempDir Path directory) throws Exception {
        Map<String, String> properties = new HashMap<>();
        properties.put("backup.target", "file:" + directory);
        properties.put("convex.url", convex.url());
        properties.put("convex.admin-key", convex.adminKey());
        try (BackupService service = service(properties)) {
            BackupManifest manifest = service.run();

            Path zip = directory.resolve(service.layout().key(manifest.snapshotTs(), BackupLayout.Kind.ZIP));
            assertThat(zip).exists();
            assertThat(zip.resolveSibling("snapshot-" + manifest.snapshotTs() + ".manifest.json")).exists();
            assertThat(TestSnapshots.sha256(Files.readAllBytes(zip))).isEqualTo(manifest.zip().sha256());
            try (Stream<Path> files = Files.walk(directory)) {
                assertThat(files.filter(f -> f.getFileName().toString().startsWith("."))).isEmpty();
            }
            assertThat(service.verify("latest").ok()).isTrue();

            byte[] bytes = Files.readAllBytes(zip);
            bytes[bytes.length / 2] ^= 0x40;
            Files.write(zip, bytes);
            VerifyReport corrupted = service.verify("latest");
            assertThat(corrupted.ok()).isFalse();
            assertThat(corrupted.firstDifference()).startsWith("SHA-256");
            assertThat(service.list().backups()).singleElement().satisfies(b -> assertThat(b.verification().ok()).isFalse());

            // A partial file of a killed run is hidden from the list and removed by prune once it is a day old.
            Path stale = zip.resolveSibling(".snapshot-1.zip" + LocalDirectoryTarget.PARTIAL_MARK + "dead");
            Path fresh = zip.resolveSibling(".snapshot-2.zip" + LocalDirectoryTarget.PARTIAL_MARK + "running");
            Files.writeString(stale, "half");
            Files.writeString(fresh, "half");
            Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(java.time.Duration.ofDays(2))));
            assertThat(service.list().backups()).hasSize(1);
            assertThat(service.prune(false).incomplete()).singleElement().asString().contains(".snapshot-1.zip");
            assertThat(stale).doesNotExist();
            assertThat(fresh).exists();
        }
    }

    @Test
    void fileStorageIsRequestedAndRecordedWhenConfigured(@TempDir Path directory) throws Exception {
        Map<String, String> properties = new HashMap<>();
        properties.put("backup.target", "file:" + directory);
        properties.put("backup.include-file-storage", "true");
        properties.put("convex.url", convex.url());
        properties.put("convex.admin-key", convex.adminKey());
        try (BackupService service = service(properties)) {
            BackupManifest manifest = service.run();
            assertThat(manifest.includesFileStorage()).isTrue();
            assertThat(manifest.tables()).containsKey("_storage");
            assertThat(manifest.documents()).isEqualTo(29);
        }
    }

    @Test
    void convexDownLeavesNoObject() throws Exception {
        String bucket = "b-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> properties = s3Properties(bucket);
        properties.put("convex.url", "http://127.0.0.1:" + freePort());
        properties.put("convex.max-attempts", "2");
        properties.put("convex.retry-initial-backoff-ms", "10");
        try (BackupService service = service(properties)) {
            assertThatThrownBy(service::run).isInstanceOf(BackupFailedException.class)
                    .hasMessageContaining("failed: Convex deployment http://127.0.0.1:").hasMessageContaining("is unavailable");
            assertThat(service.target().list("")).isEmpty();
            assertThat(service.metrics().failures()).isEqualTo(1);
        }
    }

    @Test
    void rejectedAdminKeyLeavesNoObject() throws Exception {
        Map<String, String> properties = s3Properties("b-" + UUID.randomUUID().toString().substring(0, 8));
        properties.put("convex.admin-key", "convex-self-hosted|0123456789abcdef0123456789abcdef");
        try (BackupService service = service(properties)) {
            assertThatThrownBy(service::run).isInstanceOf(BackupFailedException.class)
                    .hasMessageContaining("401 BadAdminKey");
            assertThat(service.target().list("")).isEmpty();
        }
    }

    @Test
    void failedExportLeavesNoObject(@TempDir Path data) throws Exception {
        // The emulator writes exports under <data>/exports; a file in its place makes the export fail.
        Files.writeString(data.resolve("exports"), "not a directory");
        try (ConvexEmulator broken = new ConvexEmulator(ConvexEmulator.Config.ephemeral().withDataDirectory(data)).start()) {
            broken.insert("messages", NODES.objectNode().put("body", "hi"));
            Map<String, String> properties = s3Properties("b-" + UUID.randomUUID().toString().substring(0, 8));
            properties.put("convex.url", broken.url());
            properties.put("convex.admin-key", broken.adminKey());
            try (BackupService service = service(properties)) {
                assertThatThrownBy(service::run).isInstanceOf(BackupFailedException.class)
                        .hasMessageContaining("ended in state failed");
                assertThat(service.target().list("")).isEmpty();
            }
        }
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

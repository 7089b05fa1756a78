package dev.convexpipeline.backup;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.io.InputStream;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Encrypted backups that complete, against Adobe S3Mock (a separate JVM, {@link S3MockServer}):
 * S3Proxy answers 501 to any SSE header (see BackupToS3Test). S3Mock accepts SSE-S3 and SSE-KMS,
 * rejects KMS key ids it was not given, and reports the encryption back on HeadObject (not for a
 * multipart upload: see assertZipEncryption), but it stores the bytes as sent: these tests prove
 * the protocol, not the cryptography.
 */
class BackupEncryptionTest {
    private static final int PART = S3Settings.MIN_PART_SIZE;
    /** S3Mock is given key ARNs and accepts a request naming the key id (not the ARN). */
    private static final String KMS_KEY_ID = "6a1f3c2e-8b4d-4e1a-9c7f-2d5e8b1a4c3f";
    private static final String KMS_KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/" + KMS_KEY_ID;
    private static final String UNKNOWN_KMS_KEY_ID = "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b";
    private static final long TS = 1_795_799_184_000_000_000L;

    private static S3MockServer s3;
    private static S3Client raw;
    private static byte[] largeZip;
    private RecordingS3Proxy relay;
    private String bucket;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    /** Which upload path the ZIP takes. */
    enum UploadPath { MULTIPART, SINGLE_PUT }

    @BeforeAll
    static void startS3Mock() throws Exception {
        s3 = S3MockServer.start(KMS_KEY_ARN);
        raw = S3Target.buildClient(settings(s3.endpoint(), "unused", null, null, UploadPath.MULTIPART));
        // ~7.5 MB of poorly compressible lines: two parts of 5 MiB.
        SecureRandom random = new SecureRandom();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40_000; i++) {
            byte[] noise = new byte[140];
            random.nextBytes(noise);
            lines.add("{\"_creationTime\":1700000000000.5,\"_id\":\"d" + i + "\",\"blob\":\""
                    + Base64.getEncoder().encodeToString(noise) + "\"}");
        }
        Map<String, List<String>> tables = new LinkedHashMap<>(TestSnapshots.threeTables());
        tables.put("blobs", lines);
        largeZip = TestSnapshots.zip(tables);
        assertThat(largeZip.length).isGreaterThan(PART);
    }

    @AfterAll
    static void stopS3Mock() {
        if (raw != null) {
            raw.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void freshBucket() throws Exception {
        bucket = "backups-" + UUID.randomUUID().toString().substring(0, 8);
        raw.createBucket(b -> b.bucket(bucket));
        relay = new RecordingS3Proxy(s3.endpoint());
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
        relay.close();
    }

    /** The multipart path: single PUT off. The single-PUT path: on up to S3's limit, for a source that announces its size. */
    private static S3Settings settings(URI endpoint, String bucket, String sse, String kmsKey, UploadPath path) {
        return new S3Settings(endpoint, "us-east-1", bucket, "test-access", "test-secret-key", true, sse, kmsKey,
                PART, 2, true, path == UploadPath.SINGLE_PUT ? S3Settings.MAX_SINGLE_PUT : 0);
    }

    private BackupService service(UploadPath path, String sse, String kmsKey) {
        return service(relay.endpoint(), largeZip, path, sse, kmsKey);
    }

    private BackupService service(URI endpoint, byte[] zip, UploadPath path, String sse, String kmsKey) {
        TestSnapshots.FixedSource source = new TestSnapshots.FixedSource(zip, TS);
        source.announcedBytes = -2; // as Convex does; with single PUT off the ZIP still goes in parts
        S3Target target = new S3Target(settings(endpoint, bucket, sse, kmsKey, path), "team/backups");
        BackupService service = new BackupService(target, source, new RetentionPolicy(Duration.ofDays(30), 7),
                new BackupMetrics(), Clock.systemUTC());
        closeables.add(service);
        return service;
    }

    private List<String> keysInBucket() {
        return raw.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream().map(S3Object::key).sorted().toList();
    }

    private HeadObjectResponse head(String key) {
        return raw.headObject(b -> b.bucket(bucket).key("team/backups/" + key));
    }

    private byte[] object(String key) throws Exception {
        try (InputStream in = raw.getObject(b -> b.bucket(bucket).key("team/backups/" + key))) {
            return in.readAllBytes();
        }
    }

    private void assertTookPath(UploadPath path) {
        long parts = relay.requests().stream().filter(RecordingS3Proxy.Request::isUploadPart).count();
        if (path == UploadPath.MULTIPART) {
            assertThat(parts).isEqualTo((largeZip.length + PART - 1) / PART).isGreaterThan(1);
        } else {
            assertThat(parts).isZero();
            assertThat(relay.requests()).filteredOn(r -> r.method().equals("PUT") && r.target().contains(".zip"))
                    .as("one PUT of the zip").hasSize(1);
            assertThat(relay.requests()).noneMatch(r -> r.target().contains("uploads"));
        }
    }

    /** Runs a backup, verifies and pins it; returns the keys of everything it wrote, the ZIP first. */
    private List<String> backUpVerifyAndPin(BackupService service) throws Exception {
        BackupManifest manifest = service.run();
        BackupEntry entry = service.find(manifest.id());
        assertThat(object(entry.zipKey())).isEqualTo(largeZip);
        VerifyReport report = service.verify(manifest.id());
        assertThat(report.differences()).isEmpty();
        assertThat(report.ok()).isTrue();
        service.pin(manifest.id());
        assertThat(service.list().backups()).singleElement().satisfies(backup -> {
            assertThat(backup.id()).isEqualTo(manifest.id());
            assertThat(backup.verifiedOk()).isTrue();
            assertThat(backup.pinned()).isTrue();
        });
        BackupLayout layout = service.layout();
        long ts = Long.parseLong(manifest.id());
        List<String> written = List.of(entry.zipKey(), entry.manifestKey(),
                layout.key(ts, BackupLayout.Kind.VERIFIED), layout.key(ts, BackupLayout.Kind.PIN));
        assertThat(keysInBucket()).containsExactlyInAnyOrderElementsOf(written.stream().map(k -> "team/backups/" + k).toList());
        return written;
    }

    /**
     * The ZIP's encryption. A single PUT: HeadObject shows it. In parts: S3Mock 4.12.4 gives the
     * completed object the encryption headers of the CompleteMultipartUpload request, not those of
     * CreateMultipartUpload as S3 does (S3 takes none on Complete, and none on UploadPart), so
     * HeadObject shows none; what S3Mock received and accepted is checked instead — SSE-KMS key ids
     * are checked on the create, see the unknown-key test.
     */
    private void assertZipEncryption(UploadPath path, String zipKey, ServerSideEncryption sse, String kmsKeyId) {
        String sseHeader = "x-amz-server-side-encryption";
        String keyHeader = "x-amz-server-side-encryption-aws-kms-key-id";
        List<RecordingS3Proxy.Request> zipRequests = relay.requests().stream()
                .filter(r -> r.target().contains(zipKey)).toList();
        HeadObjectResponse head = head(zipKey);
        if (path == UploadPath.SINGLE_PUT) {
            assertThat(head.serverSideEncryption()).isEqualTo(sse);
            assertThat(head.ssekmsKeyId()).isEqualTo(kmsKeyId);
            return;
        }
        RecordingS3Proxy.Request create = zipRequests.stream()
                .filter(r -> r.method().equals("POST") && r.target().endsWith("?uploads")).findFirst().orElseThrow();
        assertThat(create.header(sseHeader)).isEqualTo(sse.toString());
        assertThat(create.header(keyHeader)).isEqualTo(kmsKeyId);
        assertThat(zipRequests).filteredOn(r -> r != create && (r.method().equals("PUT") || r.method().equals("POST")))
                .hasSizeGreaterThan(2) // the parts and the complete
                .allSatisfy(r -> {
                    assertThat(r.header(sseHeader)).isNull();
                    assertThat(r.header(keyHeader)).isNull();
                });
        assertThat(head.serverSideEncryption())
                .as("S3Mock now keeps a multipart upload's encryption: assert it here as for the single PUT")
                .isNull();
    }

    @ParameterizedTest
    @EnumSource(UploadPath.class)
    void sseS3BackupCompletesAndIsStoredWithAes256(UploadPath path) throws Exception {
        assertBackupStoredWith(path, "AES256", null, ServerSideEncryption.AES256);
    }

    @ParameterizedTest
    @EnumSource(UploadPath.class)
    void sseKmsBackupWithAKnownKeyCompletesAndIsStoredUnderThatKey(UploadPath path) throws Exception {
        assertBackupStoredWith(path, "aws:kms", KMS_KEY_ID, ServerSideEncryption.AWS_KMS);
    }

    /** Backs up, verifies and pins through {@code path} with {@code sse}; every object written carries that encryption. */
    private void assertBackupStoredWith(UploadPath path, String sse, String kmsKeyId, ServerSideEncryption expected)
            throws Exception {
        BackupService service = service(path, sse, kmsKeyId);

        List<String> written = backUpVerifyAndPin(service);

        assertTookPath(path);
        assertZipEncryption(path, written.get(0), expected, kmsKeyId);
        for (String key : written.subList(1, written.size())) {
            HeadObjectResponse head = head(key);
            assertThat(head.serverSideEncryption()).as(key).isEqualTo(expected);
            assertThat(head.ssekmsKeyId()).as(key).isEqualTo(kmsKeyId);
        }
    }

    /*
     * The single PUT is tried with a small ZIP: S3Mock's Tomcat answers "100 Continue" at once and
     * only then refuses the key and closes the connection, so a body larger than the socket buffers
     * ends in a broken pipe before the client reads the 400 (S3 refuses before "100 Continue").
     */
    @ParameterizedTest
    @EnumSource(UploadPath.class)
    void sseKmsBackupWithAnUnknownKeyFailsNamingTheKeyAndLeavesNothing(UploadPath path) throws Exception {
        byte[] zip = path == UploadPath.MULTIPART ? largeZip : TestSnapshots.zip(TestSnapshots.threeTables());
        BackupService service = service(s3.endpoint(), zip, path, "aws:kms", UNKNOWN_KMS_KEY_ID);

        String operation = path == UploadPath.MULTIPART ? "CreateMultipartUpload" : "PutObject";
        assertThatThrownBy(service::run).isInstanceOf(BackupFailedException.class)
                .hasMessageContaining("S3 " + operation + " to s3://" + bucket + "/team/backups/test-instance/")
                .hasMessageContaining("400 KMS.NotFoundException")
                .hasMessageContaining("S3 could not use KMS key " + UNKNOWN_KMS_KEY_ID
                        + " for SSE-KMS: check s3.sse-kms-key-id (S3_SSE_KMS_KEY_ID)")
                .message().doesNotContain("test-secret-key");

        assertThat(keysInBucket()).isEmpty();
        assertThat(raw.listMultipartUploads(b -> b.bucket(bucket)).uploads()).isEmpty();
        assertThat(service.list().backups()).isEmpty();
        assertThat(service.metrics().failures()).isEqualTo(1);
        assertThat(service.metrics().lastFailureReason()).contains("KMS.NotFoundException");
    }

    @ParameterizedTest
    @EnumSource(UploadPath.class)
    void sseKmsBackupDeniedNamesTheKmsPermissions(UploadPath path) {
        relay.failWhen(r -> r.target().contains(".zip"), RecordingS3Proxy.Fault.FORBIDDEN);
        BackupService service = service(path, "aws:kms", KMS_KEY_ID);

        assertThatThrownBy(service::run).isInstanceOf(BackupFailedException.class)
                .hasMessageContaining("403 AccessDenied")
                .hasMessageContaining("and for SSE-KMS kms:GenerateDataKey and kms:Decrypt on KMS key " + KMS_KEY_ID);
        assertThat(keysInBucket()).isEmpty();
    }
}

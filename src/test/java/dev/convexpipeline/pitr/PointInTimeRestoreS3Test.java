package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.BackupManifest;
import dev.convexpipeline.backup.S3Settings;
import dev.convexpipeline.backup.S3Target;
import dev.convexpipeline.backup.StoredObject;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.testing.S3BucketExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Change segments in S3 (a real S3Proxy server) beside the backups, and a restore from there. */
class PointInTimeRestoreS3Test {
    @RegisterExtension
    final S3BucketExtension s3 = S3BucketExtension.inMemory();
    @TempDir
    Path temp;

    @Test
    void segmentsLandBesideTheBackupsInS3AndRestoreFromThere() throws Exception {
        S3Target storage = new S3Target(new S3Settings(s3.endpoint(), "us-east-1", s3.bucket(), s3.accessKey(),
                s3.secretKey(), true, null, null, S3Settings.MIN_PART_SIZE, 2, true, S3Settings.MAX_SINGLE_PUT),
                "team/backups");
        try (PitrFixture fixture = new PitrFixture(storage, temp)) {
            String first = fixture.insert("messages", "m0", 0);
            BackupManifest base = fixture.backup();
            ChangeCapture capture = fixture.capture();
            fixture.patch(first, 5);
            fixture.insert("audit", "new-table", 1);
            PitrFixture.Moment moment = PitrFixture.read(fixture.client);
            assertThat(capture.captureOnce().segments()).isEqualTo(1);

            List<String> keys = storage.list(PitrFixture.INSTANCE + "/changes/").stream().map(StoredObject::key).toList();
            assertThat(keys).anyMatch(k -> k.matches(PitrFixture.INSTANCE
                    + "/changes/\\d{4}/\\d{2}/\\d{2}/changes-" + base.snapshotTs() + "-\\d+\\.jsonl\\.gz"));
            assertThat(keys).anyMatch(k -> k.endsWith(".manifest.json"));

            ConvexEmulator target = PitrFixture.emulator("restore-target");
            try (ConvexClient client = PitrFixture.client(target)) {
                assertThat(fixture.restore(moment.ts(), null, target).status())
                        .isEqualTo(dev.convexpipeline.migration.MigrationStatus.VERIFIED);
                assertThat(PitrFixture.read(client).tables()).isEqualTo(moment.tables());
            } finally {
                target.stop();
            }
        }
    }
}

package dev.convexpipeline.backup;

import dev.convexpipeline.testing.TestSettings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackupSettingsTest {

    @Test
    void durationsAcceptShortFormsAndIso() {
        assertThat(BackupSettings.duration("26h", "k")).isEqualTo(Duration.ofHours(26));
        assertThat(BackupSettings.duration("1d12h", "k")).isEqualTo(Duration.ofHours(36));
        assertThat(BackupSettings.duration("90m", "k")).isEqualTo(Duration.ofMinutes(90));
        assertThat(BackupSettings.duration("PT26H", "k")).isEqualTo(Duration.ofHours(26));
        assertThatThrownBy(() -> BackupSettings.duration("soon", "backup.max-age"))
                .hasMessageContaining("backup.max-age must be a duration like 26h");
    }

    @Test
    void defaultsToTheLocalDirectoryAndReadsS3SettingsOnlyForS3() {
        BackupSettings local = BackupSettings.load(TestSettings.with(Map.<String, String>of()));
        assertThat(local.target()).isEqualTo("file:backups");
        assertThat(local.s3()).isNull();
        assertThat(local.retentionDays()).isEqualTo(30);
        assertThat(local.keepLast()).isEqualTo(7);
        assertThat(local.maxAge()).isEqualTo(Duration.ofHours(26));
        assertThat(local.attempts()).isEqualTo(3);
        assertThat(local.retryDelay()).isEqualTo(Duration.ofSeconds(30));

        Map<String, String> s3 = new HashMap<>();
        s3.put("backup.target", "s3");
        s3.put("s3.bucket", "backups");
        s3.put("s3.sse", "aws:kms");
        s3.put("s3.sse-kms-key-id", "key-1");
        BackupSettings settings = BackupSettings.load(TestSettings.with(s3));
        assertThat(settings.s3().sse()).isEqualTo("aws:kms");
        assertThat(settings.s3().partSizeBytes()).isEqualTo(8 * 1024 * 1024);
        assertThat(settings.s3().singlePutMaxBytes()).isEqualTo(S3Settings.MAX_SINGLE_PUT);
        assertThat(settings.s3().accessKey()).isNull();
        s3.put("s3.single-put-max-mb", "0");
        assertThat(BackupSettings.load(TestSettings.with(s3)).s3().singlePutMaxBytes()).isZero();
    }

    @Test
    void misconfigurationIsNamedWithItsEnvironmentVariable() {
        assertThatThrownBy(() -> BackupSettings.load(TestSettings.with(Map.of("backup.target", "ftp://x"))))
                .hasMessageContaining("BACKUP_TARGET");
        assertThatThrownBy(() -> BackupSettings.load(TestSettings.with(Map.of("backup.target", "s3", "s3.bucket", "b", "s3.sse", "rot13"))))
                .hasMessageContaining("S3_SSE");
        assertThatThrownBy(() -> BackupSettings.load(TestSettings.with(Map.of("backup.target", "s3", "s3.bucket", "b", "s3.part-size-mb", "1"))))
                .hasMessageContaining("S3_PART_SIZE_MB");
        assertThatThrownBy(() -> BackupSettings.load(TestSettings.with(Map.of("backup.target", "s3", "s3.bucket", "b", "s3.single-put-max-mb", "6000"))))
                .hasMessageContaining("S3_SINGLE_PUT_MAX_MB");
        assertThatThrownBy(() -> BackupSettings.load(TestSettings.with(Map.<String, String>of())).createService(new BackupMetrics(),
                java.time.Clock.systemUTC())).hasMessageContaining("CONVEX_SERVICE_TOKEN");
        assertThatThrownBy(() -> new RetentionPolicy(Duration.ofDays(30), 0)).hasMessageContaining("BACKUP_KEEP_LAST");
        assertThatThrownBy(() -> BackupSettings.load(TestSettings.with(Map.of("backup.attempts", "many"))))
                .hasMessageContaining("backup.attempts");
    }

    @Test
    void instanceNameComesFromTheAdminKey() {
        assertThat(ConvexSnapshotSource.instanceFromAdminKey("convex-self-hosted|01ab")).isEqualTo("convex-self-hosted");
        assertThat(ConvexSnapshotSource.instanceFromAdminKey("prod:my-app|01ab")).isEqualTo("my-app");
        assertThatThrownBy(() -> ConvexSnapshotSource.instanceFromAdminKey("nobar")).hasMessageContaining("BACKUP_INSTANCE");
    }
}

package dev.convexpipeline.backup;

import dev.convexpipeline.testing.CapturedLogs;
import dev.convexpipeline.testing.ForwardingBackupTarget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** "Nothing of it was kept" is said only when it is true: not when the upload's abort failed and parts remain. */
class BackupAbortMessageTest {
    @TempDir
    Path dir;

    @Test
    void aFailedAbortIsReportedAsPartsLeftBehind() throws Exception {
        TestSnapshots.FixedSource source = new TestSnapshots.FixedSource(TestSnapshots.zip(TestSnapshots.threeTables()),
                1_795_799_184_000_000_000L);
        source.breakAfter = 100;
        try (BackupService service = new BackupService(new AbortFails(new LocalDirectoryTarget(dir)), source,
                new RetentionPolicy(Duration.ofDays(30), 7), new BackupMetrics(), Clock.systemUTC())
                .withAttempts(2, Duration.ZERO);
             CapturedLogs logs = new CapturedLogs()) {
            assertThatThrownBy(service::run).isInstanceOf(BackupFailedException.class);
            assertThat(logs.text()).doesNotContain("nothing of it was kept")
                    .contains("attempt 1/2 failed").contains("could not be removed (the abort failed");
        }
    }

    @Test
    void anAbortThatWorkedKeepsTheUsualWords() {
        assertThat(BackupService.whatWasKept(new IOException("broken"))).isEqualTo("nothing of it was kept");
    }

    /** A target whose uploads report that their abort left data behind. */
    private static final class AbortFails extends ForwardingBackupTarget {
        AbortFails(LocalDirectoryTarget files) {
            super(files);
        }

        @Override
        public ObjectUpload beginUpload(String key, long expectedBytes) throws IOException {
            ObjectUpload upload = delegate.beginUpload(key, expectedBytes);
            return new ObjectUpload() {
                @Override
                public void write(int b) throws IOException {
                    upload.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    upload.write(b, off, len);
                }

                @Override
                public void complete() throws IOException {
                    upload.complete();
                }

                @Override
                public void abort() {
                    upload.abort();
                }

                @Override
                public boolean leftNothing() {
                    return false;
                }
            };
        }
    }
}

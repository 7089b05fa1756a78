package dev.convexpipeline.backup;

import dev.convexpipeline.sandbox.EmbeddedS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The small-object work of S3Target through the aws2-s3 component, against S3Proxy. */
class S3ObjectsTest {
    private static EmbeddedS3 s3;
    private static S3Client raw;

    @BeforeAll
    static void start() throws Exception {
        s3 = EmbeddedS3.start("127.0.0.1", 0, null, "test-access", "test-secret-key");
        raw = S3Target.buildClient(BackupToS3Test.settings(s3.endpoint(), "unused", null, null));
    }

    @AfterAll
    static void stop() throws Exception {
        raw.close();
        s3.close();
    }

    @Test
    void putGetListAndDeleteSmallObjectsAcrossListingPages() throws Exception {
        s3.ensureBucket("objects");
        IntStream.range(0, 4).forEach(i -> raw.putObject(b -> b.bucket("objects").key("p/i/k" + i),
                RequestBody.fromString("x")));
        try (S3Target target = new S3Target(BackupToS3Test.settings(s3.endpoint(), "objects", null, null), "p")) {
            // Pages of two keys: the listing has to follow the marker across three pages.
            target.objects().withPageSize(2);
            target.put("i/manifest.json", "{\"ok\":true}".getBytes(StandardCharsets.UTF_8), "application/json");
            try (InputStream in = target.open("i/manifest.json")) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":true}");
            }
            assertThat(target.list("i/")).hasSize(5).anySatisfy(o -> assertThat(o.key()).isEqualTo("i/manifest.json"));

            target.delete("i/manifest.json");
            target.delete("i/never-written");

            assertThat(target.list("i/")).hasSize(4);
            assertThatThrownBy(() -> target.open("i/manifest.json")).isInstanceOf(NoSuchFileException.class)
                    .hasMessage("s3://objects/p/i/manifest.json");
        }
    }

    @Test
    void aMissingBucketIsNamedWithS3sErrorCode() {
        try (S3Target target = new S3Target(BackupToS3Test.settings(s3.endpoint(), "no-such-bucket", null, null), "p")) {
            assertThatThrownBy(() -> target.list("i/")).hasMessageStartingWith("S3 ListObjects to s3://no-such-bucket/p/i/")
                    .hasMessageContaining("404 NoSuchBucket").hasMessageContaining("check that bucket no-such-bucket exists");
            assertThatThrownBy(() -> target.put("i/m.json", new byte[1], "application/json"))
                    .hasMessageStartingWith("S3 PutObject to s3://no-such-bucket/p/i/m.json returned 404 NoSuchBucket");
        }
    }
}

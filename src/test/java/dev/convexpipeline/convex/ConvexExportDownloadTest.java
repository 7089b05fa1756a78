package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.convexpipeline.testing.ConvexEmulatorExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The snapshot download (its own HTTP path, see ConvexClient#download) keeps the client's error and retry contract. */
class ConvexExportDownloadTest {
    @RegisterExtension
    static final ConvexEmulatorExtension convex = ConvexEmulatorExtension.ephemeral().withFaultProxy();
    private static long startTs;
    private static byte[] zip;

    @BeforeAll
    static void exportOnce() throws IOException {
        for (int i = 0; i < 20; i++) {
            convex.emulator().runMutation("users:upsert", JsonNodeFactory.instance.objectNode().put("authSubject", "download|" + i));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        startTs = convex.directClient().exportSnapshot(out, ExportOptions.defaults()).startTs();
        zip = out.toByteArray();
    }

    @Test
    void downloadReturnsTheExportBytesAndTheLengthConvexAnnounces() throws IOException {
        // Straight to the emulator: the test proxy re-chunks bodies and drops Content-Length.
        ConvexClient.ExportDownload download = convex.directClient().openExportDownload(startTs);
        try (InputStream body = download.body()) {
            assertThat(body.readAllBytes()).isEqualTo(zip);
        }
        assertThat(download.contentLength()).isEqualTo(zip.length);
    }

    @Test
    void aResponseWithoutContentLengthHasUnknownLength() throws IOException {
        ConvexClient.ExportDownload download = convex.client().openExportDownload(startTs);
        try (InputStream body = download.body()) {
            assertThat(body.readAllBytes()).isEqualTo(zip);
        }
        assertThat(download.contentLength()).isEqualTo(-1);
    }

    @Test
    void serverErrorsWhileOpeningAreRetried() throws IOException {
        convex.proxy().failNext(2, 503, null, "/api/export/zip/");

        try (InputStream body = convex.client().openExportStream(startTs)) {
            assertThat(body.readAllBytes()).isEqualTo(zip);
        }
        assertThat(convex.proxy().requestCount()).isEqualTo(3);
    }

    @Test
    void unknownSnapshotIsARequestErrorNamingTheDownloadWithoutRetry() {
        ConvexRequestException failure = assertThrows(ConvexRequestException.class,
                () -> convex.client().openExportStream(12345));

        assertThat(failure.status()).isEqualTo(404);
        assertThat(failure.getMessage()).contains("snapshot download 12345").contains("/api/export/zip/12345");
        assertThat(convex.proxy().requestCount()).isEqualTo(1);
    }

    @Test
    void wrongAdminKeyIsRefusedOnceAndNeverShown() {
        String wrongKey = "convex-self-hosted|" + "cd".repeat(40);
        try (ConvexClient wrong = ConvexEmulatorExtension.quickClient(convex.proxy().url(), wrongKey)) {
            ConvexAuthException failure = assertThrows(ConvexAuthException.class,
                    () -> wrong.openExportStream(startTs));

            assertThat(failure.status()).isIn(401, 403);
            assertThat(failure.getMessage()).doesNotContain(wrongKey).doesNotContain("cdcd");
            assertThat(convex.proxy().requestCount()).isEqualTo(1);
        }
    }
}

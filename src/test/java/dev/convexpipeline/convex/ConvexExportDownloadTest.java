package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The snapshot download (its own HTTP path, see ConvexClient#download) keeps the client's error and retry contract. */
class ConvexExportDownloadTest {
    private static ConvexEmulator emulator;
    private static long startTs;
    private static byte[] zip;

    private FaultInjectingProxy proxy;
    private ConvexClient client;

    @BeforeAll
    static void exportOnce() throws IOException {
        emulator = TestDeployments.startEmulator();
        for (int i = 0; i < 20; i++) {
            emulator.runMutation("users:upsert", JsonNodeFactory.instance.objectNode().put("authSubject", "download|" + i));
        }
        try (ConvexClient direct = TestDeployments.client(emulator)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            startTs = direct.exportSnapshot(out, ExportOptions.defaults()).startTs();
            zip = out.toByteArray();
        }
    }

    @AfterAll
    static void stopEmulator() {
        emulator.stop();
    }

    @BeforeEach
    void startProxy() throws IOException {
        proxy = new FaultInjectingProxy(emulator.url());
        client = TestDeployments.client(proxy.url(), emulator.adminKey());
    }

    @AfterEach
    void stopProxy() {
        client.close();
        proxy.close();
    }

    @Test
    void downloadReturnsTheExportBytesAndTheLengthConvexAnnounces() throws IOException {
        // Straight to the emulator: the test proxy re-chunks bodies and drops Content-Length.
        try (ConvexClient direct = TestDeployments.client(emulator)) {
            ConvexClient.ExportDownload download = direct.openExportDownload(startTs);
            try (InputStream body = download.body()) {
                assertThat(body.readAllBytes()).isEqualTo(zip);
            }
            assertThat(download.contentLength()).isEqualTo(zip.length);
        }
    }

    @Test
    void aResponseWithoutContentLengthHasUnknownLength() throws IOException {
        ConvexClient.ExportDownload download = client.openExportDownload(startTs);
        try (InputStream body = download.body()) {
            assertThat(body.readAllBytes()).isEqualTo(zip);
        }
        assertThat(download.contentLength()).isEqualTo(-1);
    }

    @Test
    void serverErrorsWhileOpeningAreRetried() throws IOException {
        proxy.failNext(2, 503, null, "/api/export/zip/");

        try (InputStream body = client.openExportStream(startTs)) {
            assertThat(body.readAllBytes()).isEqualTo(zip);
        }
        assertThat(proxy.requestCount()).isEqualTo(3);
    }

    @Test
    void unknownSnapshotIsARequestErrorNamingTheDownloadWithoutRetry() {
        ConvexRequestException failure = catchThrowableOfType(ConvexRequestException.class,
                () -> client.openExportStream(12345));

        assertThat(failure.status()).isEqualTo(404);
        assertThat(failure.getMessage()).contains("snapshot download 12345").contains("/api/export/zip/12345");
        assertThat(proxy.requestCount()).isEqualTo(1);
    }

    @Test
    void wrongAdminKeyIsRefusedOnceAndNeverShown() {
        String wrongKey = "convex-self-hosted|" + "cd".repeat(40);
        try (ConvexClient wrong = TestDeployments.client(proxy.url(), wrongKey)) {
            ConvexAuthException failure = catchThrowableOfType(ConvexAuthException.class,
                    () -> wrong.openExportStream(startTs));

            assertThat(failure.status()).isIn(401, 403);
            assertThat(failure.getMessage()).doesNotContain(wrongKey).doesNotContain("cdcd");
            assertThat(proxy.requestCount()).isEqualTo(1);
        }
    }
}

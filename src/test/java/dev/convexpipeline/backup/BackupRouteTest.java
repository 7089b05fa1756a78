package dev.convexpipeline.backup;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.convex.FaultInjectingProxy;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.sandbox.EmbeddedS3;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.model.BeanDefinition;
import org.apache.camel.model.ModelCamelContext;
import io.micrometer.core.instrument.Counter;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The backup flow as a route: its steps, a failure failing the exchange, and shutdown interrupting a run. */
class BackupRouteTest {
    @TempDir
    Path directory;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private PipelineRuntime pipeline(Map<String, String> settings) throws Exception {
        Map<String, String> overrides = new HashMap<>(Map.of(
                "camel.server.port", String.valueOf(BackupPipelineTest.freePort()),
                "camel.management.port", String.valueOf(BackupPipelineTest.freePort()),
                "backup.enabled", "false",
                "convex.max-attempts", "1"));
        overrides.putAll(settings);
        PipelineRuntime pipeline = PipelineRuntime.create(Path.of("config/application.properties"), overrides).start();
        closeables.add(pipeline);
        return pipeline;
    }

    private ConvexEmulator convex() {
        ConvexEmulator convex = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
        closeables.add(convex::stop);
        convex.insert("messages", JsonNodeFactory.instance.objectNode().put("body", "hi"));
        return convex;
    }

    /** Camel's own count of failed exchanges of {@code routeId} (its Micrometer route policy). */
    private static double failedExchanges(CamelContext camel, String routeId) {
        return BackupWiring.meterRegistry(camel).find("camel.exchanges.failed").tag("routeId", routeId).counters()
                .stream().mapToDouble(Counter::count).sum();
    }

    @Test
    void aGoodBackupPassesEachStepAndAFailedOneFailsTheExchange() throws Exception {
        ConvexEmulator convex = convex();
        Path backups = directory.resolve("backups");
        PipelineRuntime pipeline = pipeline(Map.of("convex.url", convex.url(), "convex.admin-key", convex.adminKey(),
                "backup.target", "file:" + backups));
        CamelContext camel = pipeline.camelContext();
        // The route shows the runbook's steps, in order.
        assertThat(((ModelCamelContext) camel).getRouteDefinition("backup-run").getOutputs())
                .filteredOn(BeanDefinition.class::isInstance).map(step -> ((BeanDefinition) step).getMethod()).containsExactly("export", "upload", "writeManifest");
        ProducerTemplate template = camel.createProducerTemplate();

        Map<?, ?> done = template.requestBody("direct:backup-run", (Object) null, Map.class);

        String id = String.valueOf(done.get("id"));
        assertThat(done.get("ok")).isEqualTo(true);
        assertThat(done.get("documents")).isEqualTo(1L);
        try (Stream<Path> files = Files.walk(backups)) {
            List<String> names = files.map(f -> f.getFileName().toString()).toList();
            // Upload and manifest both happened: the ZIP and the manifest that makes it a backup.
            assertThat(names).contains("snapshot-" + id + ".zip", "snapshot-" + id + ".manifest.json");
        }
        assertThat(failedExchanges(camel, "backup-run")).isZero();
        BackupOperations operations = camel.getRegistry().lookupByNameAndType("backups", BackupOperations.class);
        assertThat(operations.metrics().failures()).isZero();

        // The verify route passes a good backup and fails its exchange on a difference.
        assertThat(template.requestBody("direct:backup-verify", (Object) null, VerifyReport.class).ok()).isTrue();
        Path zip;
        try (Stream<Path> files = Files.walk(backups)) {
            zip = files.filter(f -> f.toString().endsWith(id + ".zip")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(zip);
        bytes[bytes.length - 30] ^= 0x7f;
        Files.write(zip, bytes);
        assertThatThrownBy(() -> template.requestBody("direct:backup-verify", (Object) null))
                .cause().hasMessageContaining("Backup " + id + " does not match its manifest");
        assertThat(failedExchanges(camel, "backup-verify")).isEqualTo(1);

        convex.stop();
        assertThatThrownBy(() -> template.requestBody("direct:backup-run", (Object) null))
                .isInstanceOf(CamelExecutionException.class)
                .cause().isInstanceOf(BackupFailedException.class).hasMessageContaining("failed: ");
        assertThat(failedExchanges(camel, "backup-run")).isEqualTo(1);
        assertThat(operations.metrics().failures()).isEqualTo(1);
        // The next run is not blocked by the failed one.
        assertThatThrownBy(() -> template.requestBody("direct:backup-run", (Object) null))
                .cause().isInstanceOf(BackupFailedException.class).hasMessageNotContaining("another backup");
    }

    @Test
    void aFailedScheduledBackupIsCountedByItsRouteAndLoggedOnce() throws Exception {
        StringWriter logs = captureLogs(BackupService.class.getName(), "org.apache.camel.component.quartz.CamelJob",
                "org.quartz.core.JobRunShell");
        PipelineRuntime pipeline = pipeline(Map.of("convex.url", "http://127.0.0.1:" + BackupPipelineTest.freePort(),
                "convex.admin-key", "convex-self-hosted|0123", "backup.target", "file:" + directory.resolve("backups"),
                "backup.enabled", "true", "backup.cron", "* * * * * ?"));
        CamelContext camel = pipeline.camelContext();
        BackupOperations operations = camel.getRegistry().lookupByNameAndType("backups", BackupOperations.class);

        await().atMost(Duration.ofSeconds(20)).until(() -> failedExchanges(camel, "backup-run") >= 1);

        assertThat(operations.metrics().failures()).isGreaterThanOrEqualTo(1);
        assertThat(logs.toString()).contains("failed: Convex deployment").doesNotContain("Failed to execute CamelJob")
                .doesNotContain("threw a JobExecutionException");
        try (Stream<Path> files = Files.walk(directory)) {
            assertThat(files.filter(f -> f.toString().endsWith(".manifest.json"))).isEmpty();
        }
    }

    /** What {@code loggers} log from now until the test ends, one message per line. */
    private StringWriter captureLogs(String... loggers) {
        StringWriter logs = new StringWriter();
        Appender capture = WriterAppender.newBuilder().setName("backup-route-test").setTarget(logs)
                .setLayout(PatternLayout.newBuilder().withPattern("%m%n").build()).build();
        capture.start();
        for (String name : loggers) {
            org.apache.logging.log4j.core.Logger logger = LoggerContext.getContext(false).getLogger(name);
            logger.addAppender(capture);
            closeables.add(() -> logger.removeAppender(capture));
        }
        return logs;
    }

    @Test
    void shutdownAbortsTheRunningBackupAndMarksItInterrupted() throws Exception {
        ConvexEmulator convex = convex();
        FaultInjectingProxy slowConvex = new FaultInjectingProxy(convex.url());
        closeables.add(slowConvex);
        EmbeddedS3 s3 = EmbeddedS3.start("127.0.0.1", 0, null, "test-access", "test-secret-key");
        closeables.add(s3);
        s3.ensureBucket("backups");
        S3Client raw = S3Target.buildClient(BackupToS3Test.settings(s3.endpoint(), "backups", null, null));
        closeables.add(raw);
        PipelineRuntime pipeline = pipeline(Map.of("convex.url", slowConvex.url(), "convex.admin-key", convex.adminKey(),
                "backup.target", "s3", "s3.endpoint", s3.endpoint().toString(), "s3.bucket", "backups",
                "s3.access-key", "test-access", "s3.secret-key", "test-secret-key",
                // Multipart for every size: the upload shutdown must abort is one S3 keeps until told.
                "s3.single-put-max-mb", "0"));
        CamelContext camel = pipeline.camelContext();
        BackupOperations operations = camel.getRegistry().lookupByNameAndType("backups", BackupOperations.class);
        StringWriter logs = captureLogs(BackupService.class.getName());
        // Every Convex call is held a second: the backup is still running when Camel stops.
        slowConvex.delayNext(1_000, 1_000);
        ProducerTemplate template = camel.createProducerTemplate();
        CompletableFuture<Object> backup = CompletableFuture.supplyAsync(() -> template.requestBody("direct:backup-run", (Object) null));
        await().atMost(Duration.ofSeconds(20)).until(() -> camel.getInflightRepository().size("backup-run") == 1);

        camel.stop();

        assertThat(backup).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                .havingRootCause().withMessageContaining("interrupted by shutdown");
        assertThat(logs.toString()).containsPattern("Backup \\d+ \\(.*\\) interrupted by shutdown");
        assertThat(operations.metrics().failures()).isEqualTo(1);
        List<String> keys = raw.listObjectsV2Paginator(b -> b.bucket("backups")).contents().stream()
                .map(S3Object::key).toList();
        assertThat(keys).as("nothing that looks like a backup, only the interrupted marker")
                .singleElement().satisfies(key -> assertThat(key).endsWith(".interrupted.json"));
        assertThat(raw.listMultipartUploads(b -> b.bucket("backups")).uploads()).as("no orphan multipart upload").isEmpty();
    }
}

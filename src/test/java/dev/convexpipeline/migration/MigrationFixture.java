package dev.convexpipeline.migration;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.convexpipeline.backup.BackupManifest;
import dev.convexpipeline.backup.BackupMetrics;
import dev.convexpipeline.backup.BackupService;
import dev.convexpipeline.backup.BackupSettings;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.testing.S3BucketExtension;
import dev.convexpipeline.testing.SampleDocuments;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Source and target emulators over HTTP, S3Proxy storage, and migrators wired to them; fresh for every test, with the
 * source seeded ({@link SampleDocuments}): {@code @RegisterExtension final MigrationFixture fixture = new MigrationFixture();}
 */
final class MigrationFixture implements BeforeEachCallback, AfterEachCallback {
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final S3BucketExtension s3 = S3BucketExtension.inMemory("migrate-test", "migrate-test-secret", "m");
    ConvexEmulator source;
    ConvexEmulator target;

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        s3.beforeEach(context);
        source = emulator("source-dev");
        target = emulator("target-prod");
        SampleDocuments.seed(source);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        source.stop();
        target.stop();
        s3.afterEach(context);
    }

    static ConvexEmulator emulator(String instance) {
        return new ConvexEmulator(ConvexEmulator.Config.ephemeral().withInstanceName(instance)).start();
    }

    Map<String, String> properties() {
        Map<String, String> properties = s3.properties();
        properties.put("backup.prefix", "pipeline");
        // Multipart, as the sandbox does: S3Proxy cannot list a prefix after a single PUT broken off mid-body.
        properties.put("s3.single-put-max-mb", "0");
        properties.put("migration.source-admin-key", source.adminKey());
        properties.put("migration.target-admin-key", target.adminKey());
        properties.put("convex.max-attempts", "2");
        properties.put("convex.retry-initial-backoff-ms", "20");
        properties.put("convex.retry-max-backoff-ms", "50");
        return properties;
    }

    /** {@link #properties()} with the source as the deployment the backup service backs up. */
    Map<String, String> backupProperties() {
        Map<String, String> properties = properties();
        properties.put("convex.url", source.url());
        properties.put("convex.admin-key", source.adminKey());
        return properties;
    }

    /** The pipeline's backup service for the source, storing in the fixture's bucket. */
    BackupService backupService() {
        Map<String, String> properties = backupProperties();
        return BackupSettings.load(dev.convexpipeline.testing.TestSettings.with(properties)).createService(new BackupMetrics(), Clock.systemUTC());
    }

    /** One backup of the source into the fixture's bucket. */
    BackupManifest backUpSource() {
        try (BackupService service = backupService()) {
            return service.run();
        }
    }

    Migrator migrator() {
        return migrator(properties());
    }

    static Migrator migrator(Map<String, String> properties) {
        return new Migrator(MigrationSettings.load(dev.convexpipeline.testing.TestSettings.with(properties)), Clock.systemUTC(), new MigrationMetrics());
    }

    Migrator.Request request(String from, String mode) {
        return new Migrator.Request(from, target.url(), List.of(), mode == null ? null
                : dev.convexpipeline.convex.ImportMode.valueOf(mode), false, false, true, false, null, null);
    }
}

package dev.convexpipeline.migration;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.sandbox.EmbeddedS3;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Source and target emulators over HTTP, S3Proxy storage, and migrators wired to them. */
final class MigrationFixture implements AutoCloseable {
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    final EmbeddedS3 s3;
    final ConvexEmulator source;
    final ConvexEmulator target;
    final String bucket = "m-" + UUID.randomUUID().toString().substring(0, 8);

    MigrationFixture() throws Exception {
        s3 = EmbeddedS3.start("127.0.0.1", 0, null, "migrate-test", "migrate-test-secret");
        s3.ensureBucket(bucket);
        source = emulator("source-dev");
        target = emulator("target-prod");
    }

    static ConvexEmulator emulator(String instance) {
        return new ConvexEmulator(new ConvexEmulator.Config("127.0.0.1", 0, instance, List.of(), Optional.empty(), false)).start();
    }

    /** 25 messages, 3 users, 1 order with bytes, in the source. */
    void seedSource() {
        seed(source);
    }

    static void seed(ConvexEmulator emulator) {
        for (int i = 0; i < 25; i++) {
            ObjectNode message = NODES.objectNode().put("body", "message " + i).put("ratio", i / 2.0);
            message.set("count", ConvexValues.int64(i));
            emulator.insert("messages", message);
        }
        for (String name : List.of("Ada", "Grace", "Linus")) {
            emulator.insert("users", NODES.objectNode().put("name", name));
        }
        emulator.insert("orders", NODES.objectNode().put("sku", "A1").set("blob", ConvexValues.bytes(new byte[] {0, 1, 2})));
    }

    Map<String, String> properties() {
        Map<String, String> properties = new HashMap<>();
        properties.put("backup.target", "s3");
        properties.put("backup.prefix", "pipeline");
        properties.put("s3.endpoint", s3.endpoint().toString());
        properties.put("s3.bucket", bucket);
        properties.put("s3.access-key", s3.accessKey());
        properties.put("s3.secret-key", s3.secretKey());
        // Multipart, as the sandbox does: S3Proxy cannot list a prefix after a single PUT broken off mid-body.
        properties.put("s3.single-put-max-mb", "0");
        properties.put("migration.source-admin-key", source.adminKey());
        properties.put("migration.target-admin-key", target.adminKey());
        properties.put("convex.max-attempts", "2");
        properties.put("convex.retry-initial-backoff-ms", "20");
        properties.put("convex.retry-max-backoff-ms", "50");
        return properties;
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

    @Override
    public void close() throws Exception {
        source.stop();
        target.stop();
        s3.close();
    }
}

package dev.convexpipeline.testing;

import dev.convexpipeline.sandbox.EmbeddedS3;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * An in-memory S3 server (S3Proxy, as the sandbox runs it) and a fresh, empty bucket for every test:
 * <pre>
 * {@literal @}RegisterExtension
 * static final S3BucketExtension s3 = S3BucketExtension.inMemory();
 * </pre>
 * On a static field one server serves the whole class; on an instance field every test gets its own.
 */
public final class S3BucketExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {
    private final String accessKey;
    private final String secretKey;
    private final String bucketPrefix;

    private EmbeddedS3 server;
    private boolean perClass;
    private String bucket;

    private S3BucketExtension(String accessKey, String secretKey, String bucketPrefix) {
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.bucketPrefix = bucketPrefix;
    }

    /** Credentials {@code test-access}/{@code test-secret-key}, buckets named {@code bucket-<8 hex digits>}. */
    public static S3BucketExtension inMemory() {
        return inMemory("test-access", "test-secret-key", "bucket");
    }

    /** Buckets are named {@code <bucketPrefix>-<8 random hex digits>}. */
    public static S3BucketExtension inMemory(String accessKey, String secretKey, String bucketPrefix) {
        return new S3BucketExtension(accessKey, secretKey, bucketPrefix);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        perClass = true;
        server = EmbeddedS3.start("127.0.0.1", 0, null, accessKey, secretKey);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (server == null) {
            server = EmbeddedS3.start("127.0.0.1", 0, null, accessKey, secretKey);
        }
        bucket = bucketPrefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        server.ensureBucket(bucket);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (!perClass) {
            stop();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        stop();
    }

    public EmbeddedS3 server() {
        if (server == null) {
            throw new IllegalStateException("S3Proxy is not running: register the extension with @RegisterExtension");
        }
        return server;
    }

    public URI endpoint() {
        return server().endpoint();
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    /** This test's bucket, created empty before it. */
    public String bucket() {
        if (bucket == null) {
            throw new IllegalStateException("no bucket outside a test: buckets are made before each test");
        }
        return bucket;
    }

    /** The pipeline's S3 settings for this test's bucket ({@code backup.target} included). */
    public Map<String, String> properties() {
        Map<String, String> properties = new HashMap<>();
        properties.put("backup.target", "s3");
        properties.put("s3.endpoint", endpoint().toString());
        properties.put("s3.bucket", bucket());
        properties.put("s3.access-key", accessKey);
        properties.put("s3.secret-key", secretKey);
        return properties;
    }

    private void stop() throws Exception {
        bucket = null;
        if (server != null) {
            server.close();
            server = null;
        }
    }
}

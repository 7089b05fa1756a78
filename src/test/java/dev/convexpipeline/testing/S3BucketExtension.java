package dev.convexpipeline.testing;

import dev.convexpipeline.sandbox.EmbeddedS3;

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
public final class S3BucketExtension extends ServerExtension {
    private final String accessKey;
    private final String secretKey;
    private final String bucketPrefix;

    private EmbeddedS3 server;
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
    protected void startServer() throws Exception {
        server = closeWithServer(EmbeddedS3.start("127.0.0.1", 0, null, accessKey, secretKey));
    }

    @Override
    protected void beforeTest() {
        bucket = bucketPrefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        server.ensureBucket(bucket);
    }

    public EmbeddedS3 server() {
        return required(server, "S3Proxy is not running: register the extension with @RegisterExtension");
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
        return required(bucket, "no bucket outside a test: buckets are made before each test");
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
}

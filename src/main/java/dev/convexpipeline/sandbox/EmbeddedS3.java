package dev.convexpipeline.sandbox;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;

/**
 * A real S3-compatible server (S3Proxy) in this JVM, for the sandbox and tests: files on disk when
 * a directory is given, memory otherwise. Credentials are required (SigV4), as on real S3.
 */
public record EmbeddedS3(S3Proxy proxy, BlobStoreContext context, String accessKey, String secretKey)
        implements AutoCloseable {

    /** Starts on {@code host:port} (port 0 picks a free one), storing under {@code directory} or in memory when null. */
    public static EmbeddedS3 start(String host, int port, Path directory, String accessKey, String secretKey)
            throws Exception {
        Properties properties = new Properties();
        String provider = "transient-nio2";
        if (directory != null) {
            Files.createDirectories(directory);
            properties.setProperty("jclouds.filesystem.basedir", directory.toAbsolutePath().toString());
            provider = "filesystem-nio2";
        }
        BlobStoreContext context = ContextBuilder.newBuilder(provider)
                .credentials(accessKey, secretKey)
                .overrides(properties)
                .build(BlobStoreContext.class);
        BlobStore blobStore = context.getBlobStore();
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(blobStore)
                .endpoint(URI.create("http://" + host + ":" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .build();
        proxy.start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!"STARTED".equals(proxy.getState())) {
            if (Instant.now().isAfter(deadline)) {
                proxy.stop();
                context.close();
                throw new IllegalStateException("Embedded S3 server did not start on " + host + ":" + port);
            }
            Thread.sleep(20);
        }
        return new EmbeddedS3(proxy, context, accessKey, secretKey);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    public int port() {
        return proxy.getPort();
    }

    /** Creates a bucket if it does not exist yet (the sandbox needs one ready for backups). */
    public void ensureBucket(String bucket) {
        BlobStore blobStore = context.getBlobStore();
        if (!blobStore.containerExists(bucket)) {
            blobStore.createContainerInLocation(null, bucket);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            proxy.stop();
        } finally {
            context.close();
        }
    }
}

package dev.convexpipeline.backup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsRequest;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Backups in an S3-compatible bucket through the AWS SDK v2. A snapshot whose size is announced
 * (and at most {@link S3Settings#singlePutMaxBytes()}) goes up as one streaming {@code PutObject}
 * ({@link S3StreamingPut}); one of unknown or larger size through {@link S3MultipartUpload} (the
 * SDK's multipart API driven directly, see there why). Small objects (manifests, markers, pins,
 * journals), listing and deleting go through Camel's aws2-s3 component ({@link S3Objects}) on the
 * same client. Server-side encryption, when configured, is requested on every object written.
 */
public final class S3Target implements BackupTarget {
    private static final Logger LOG = LoggerFactory.getLogger(S3Target.class);

    private final S3Settings settings;
    private final S3Client s3;
    private final String keyPrefix;
    private final ExecutorService partUploaders;
    /** Small objects, listing and deleting, through Camel's aws2-s3 component on the same client. */
    private final S3Objects objects;

    public S3Target(S3Settings settings, String prefix) {
        this.settings = settings;
        this.keyPrefix = normalizePrefix(prefix);
        this.s3 = buildClient(settings);
        this.objects = new S3Objects(s3, settings.bucket(), settings.sse(), settings.kmsKeyId());
        AtomicInteger threads = new AtomicInteger();
        this.partUploaders = Executors.newFixedThreadPool(settings.partsInFlight(), runnable -> {
            Thread thread = new Thread(runnable, "backup-s3-part-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    static S3Client buildClient(S3Settings settings) {
        AwsCredentialsProvider credentials = settings.accessKey() == null
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()));
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(settings.forcePathStyle())
                .httpClientBuilder(ApacheHttpClient.builder()
                        .maxConnections(settings.partsInFlight() + 4)
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(120)));
        if (settings.checksumsWhenRequired()) {
            // S3Proxy rejects the SDK's default CRC32 trailers (docs/camel-notes.md); integrity comes from our SHA-256.
            builder.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        return builder.build();
    }

    private static String normalizePrefix(String prefix) {
        if (prefix == null) {
            return "";
        }
        String trimmed = prefix.replaceAll("^/+", "").replaceAll("/+$", "");
        return trimmed.isEmpty() ? "" : trimmed + "/";
    }

    S3Client client() {
        return s3;
    }

    S3Objects objects() {
        return objects;
    }

    S3Settings settings() {
        return settings;
    }

    String bucket() {
        return settings.bucket();
    }

    /** The full object key for a target-relative key. */
    String objectKey(String key) {
        return keyPrefix + key;
    }

    @Override
    public String location(String key) {
        return objectKey(key);
    }

    String uri(String key) {
        return "s3://" + settings.bucket() + "/" + objectKey(key);
    }

    @Override
    public String describe() {
        return "s3://" + settings.bucket() + "/" + keyPrefix
                + (settings.endpoint() == null ? "" : " at " + settings.endpoint());
    }

    @Override
    public ObjectUpload beginUpload(String key, long expectedBytes) {
        if (expectedBytes >= 0 && settings.singlePutMaxBytes() > 0 && expectedBytes <= settings.singlePutMaxBytes()) {
            return new S3StreamingPut(this, key, expectedBytes, partUploaders);
        }
        return new S3MultipartUpload(this, key, partSizeFor(expectedBytes), partUploaders);
    }

    /** S3 allows 10,000 parts: grow the part for very large snapshots whose size is known in advance. */
    int partSizeFor(long expectedBytes) {
        long partSize = settings.partSizeBytes();
        if (expectedBytes > 0) {
            long needed = (expectedBytes + 9_000 - 1) / 9_000;
            long mib = 1024 * 1024;
            partSize = Math.max(partSize, (needed + mib - 1) / mib * mib);
        }
        return (int) Math.min(partSize, Integer.MAX_VALUE - 8);
    }

    @Override
    public void put(String key, byte[] content, String contentType) throws IOException {
        try {
            objects.put(objectKey(key), content, contentType);
        } catch (S3Objects.Failure e) {
            throw failure("PutObject", key, e.cause);
        }
    }

    void applyEncryption(PutObjectRequest.Builder request) {
        if (settings.sse() != null) {
            request.serverSideEncryption(ServerSideEncryption.fromValue(settings.sse()));
            if (settings.kmsKeyId() != null) {
                request.ssekmsKeyId(settings.kmsKeyId());
            }
        }
    }

    @Override
    public InputStream open(String key) throws IOException {
        try {
            return objects.get(objectKey(key));
        } catch (S3Objects.Failure e) {
            if (e.cause instanceof NoSuchKeyException) {
                throw new NoSuchFileException(uri(key));
            }
            throw failure("GetObject", key, e.cause);
        }
    }

    @Override
    public List<StoredObject> list(String prefix) throws IOException {
        List<StoredObject> listed = new ArrayList<>();
        try {
            for (S3Object object : objects.list(objectKey(prefix))) {
                listed.add(new StoredObject(object.key().substring(keyPrefix.length()), object.size(),
                        object.lastModified()));
            }
        } catch (S3Objects.Failure e) {
            throw failure("ListObjects", prefix, e.cause);
        }
        return listed;
    }

    @Override
    public void delete(String key) throws IOException {
        try {
            objects.delete(objectKey(key));
        } catch (S3Objects.Failure e) {
            throw failure("DeleteObject", key, e.cause);
        }
    }

    /** Multipart uploads a killed process could not abort; they are invisible but S3 bills their parts. */
    @Override
    public List<Leftover> leftovers(String prefix, java.time.Instant startedBefore) throws IOException {
        List<Leftover> leftovers = new ArrayList<>();
        try {
            ListMultipartUploadsRequest request = ListMultipartUploadsRequest.builder()
                    .bucket(settings.bucket()).prefix(objectKey(prefix)).build();
            for (MultipartUpload upload : s3.listMultipartUploadsPaginator(request).uploads()) {
                if (upload.initiated() == null || !upload.initiated().isBefore(startedBefore)) {
                    continue;
                }
                leftovers.add(new Leftover() {
                    @Override
                    public String describe() {
                        return "s3://" + settings.bucket() + "/" + upload.key() + " (incomplete multipart upload "
                                + upload.uploadId() + " from " + upload.initiated() + ")";
                    }

                    @Override
                    public void discard() throws IOException {
                        try {
                            s3.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(settings.bucket())
                                    .key(upload.key()).uploadId(upload.uploadId()).build());
                        } catch (SdkException e) {
                            throw failure("AbortMultipartUpload", upload.key().substring(keyPrefix.length()), e);
                        }
                    }
                });
            }
        } catch (SdkException e) {
            throw failure("ListMultipartUploads", prefix, e);
        }
        return leftovers;
    }

    /** An operator-readable failure: which call, which object, what S3 said, what to check. */
    IOException failure(String operation, String key, Throwable error) {
        String detail;
        String hint = "check that the bucket exists and S3 is reachable";
        if (error instanceof S3Exception s3Error && s3Error.awsErrorDetails() != null) {
            String code = s3Error.awsErrorDetails().errorCode();
            String text = s3Error.awsErrorDetails().errorMessage();
            detail = "returned " + s3Error.statusCode() + " " + (code == null ? "(no error code in the answer)" : code)
                    + (text == null || text.isBlank() ? "" : " (" + text + ")");
            if (code != null && code.startsWith("KMS.")) {
                // S3 names KMS failures KMS.NotFoundException, KMS.DisabledException, ...: the key, not the bucket.
                hint = settings.kmsKeyId() == null
                        ? "S3 could not use the bucket's default KMS key for SSE-KMS: check the bucket's default encryption,"
                          + " or name a key in s3.sse-kms-key-id (S3_SSE_KMS_KEY_ID)"
                        : "S3 could not use KMS key " + settings.kmsKeyId() + " for SSE-KMS: check s3.sse-kms-key-id"
                          + " (S3_SSE_KMS_KEY_ID); the key must exist, be enabled and be in the bucket's region";
            } else if (s3Error.statusCode() == 403) {
                hint = "check the credentials and the bucket policy for s3:" + operation.replace("ListObjects", "ListBucket");
                if ("aws:kms".equals(settings.sse())) {
                    hint += ", and for SSE-KMS kms:GenerateDataKey and kms:Decrypt on "
                            + (settings.kmsKeyId() == null ? "the bucket's default KMS key" : "KMS key " + settings.kmsKeyId());
                }
            } else if (s3Error.statusCode() == 400) {
                hint = "S3 refused the request as invalid: check the settings it was sent with (s3.sse "
                        + "S3_SSE, s3.request-checksum-calculation S3_REQUEST_CHECKSUM_CALCULATION, s3.region S3_REGION)"
                        + " against what this S3 service supports";
            } else if (s3Error.statusCode() == 404) {
                hint = "check that bucket " + settings.bucket() + " exists";
            }
        } else {
            detail = "failed: " + error.getMessage();
        }
        return new IOException("S3 " + operation + " to " + uri(key) + " " + detail + " — " + hint, error);
    }

    @Override
    public void close() {
        partUploaders.shutdownNow();
        objects.close();
        s3.close();
        LOG.debug("S3 target {} closed", describe());
    }
}

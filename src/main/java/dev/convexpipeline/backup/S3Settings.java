package dev.convexpipeline.backup;

import java.net.URI;
import java.util.Locale;

/**
 * How to reach the S3-compatible bucket (the {@code s3.*} settings).
 *
 * @param endpoint          endpoint override (MinIO, S3Proxy), or {@code null} for AWS's own endpoints
 * @param region            region for signing
 * @param bucket            bucket holding the backups
 * @param accessKey         access key, or {@code null} for the AWS default credential chain
 * @param secretKey         secret key (never printed)
 * @param forcePathStyle    {@code http://host/bucket/key} instead of virtual-host addressing
 * @param sse               server-side encryption: {@code null}, {@code AES256} (SSE-S3) or {@code aws:kms} (SSE-KMS)
 * @param kmsKeyId          KMS key id for SSE-KMS, or {@code null} for the bucket's default key
 * @param partSizeBytes     multipart part size (S3 needs at least 5 MiB)
 * @param partsInFlight     parts uploaded concurrently; memory is about partSize × (partsInFlight + 1)
 * @param checksumsWhenRequired send the SDK's optional request checksums only when the API requires them
 * @param singlePutMaxBytes an object whose size is known in advance and at most this large is written
 *                          as one streaming {@code PutObject} instead of a multipart upload; 0 = always
 *                          multipart. At most {@link #MAX_SINGLE_PUT} (S3's limit for one PUT)
 */
public record S3Settings(URI endpoint, String region, String bucket, String accessKey, String secretKey,
                         boolean forcePathStyle, String sse, String kmsKeyId, int partSizeBytes,
                         int partsInFlight, boolean checksumsWhenRequired, long singlePutMaxBytes) {
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;
    /** S3 accepts at most 5 GiB in one PutObject. */
    public static final long MAX_SINGLE_PUT = 5L * 1024 * 1024 * 1024;
    /** {@link #MAX_SINGLE_PUT} in MiB: the default of {@code s3.single-put-max-mb}. */
    public static final int MAX_SINGLE_PUT_MB = 5 * 1024;

    /** Always multipart (single-PUT limit 0). */
    public S3Settings(URI endpoint, String region, String bucket, String accessKey, String secretKey,
                      boolean forcePathStyle, String sse, String kmsKeyId, int partSizeBytes,
                      int partsInFlight, boolean checksumsWhenRequired) {
        this(endpoint, region, bucket, accessKey, secretKey, forcePathStyle, sse, kmsKeyId, partSizeBytes,
                partsInFlight, checksumsWhenRequired, 0);
    }

    public S3Settings {
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("s3.bucket (S3_BUCKET) is empty; name the bucket that holds the backups");
        }
        sse = blankToNull(sse);
        kmsKeyId = blankToNull(kmsKeyId);
        accessKey = blankToNull(accessKey);
        if (sse != null) {
            String normalized = sse.toLowerCase(Locale.ROOT);
            if (normalized.equals("aes256") || normalized.equals("sse-s3")) {
                sse = "AES256";
            } else if (normalized.equals("aws:kms") || normalized.equals("sse-kms") || normalized.equals("kms")) {
                sse = "aws:kms";
            } else {
                throw new IllegalArgumentException("s3.sse (S3_SSE) must be empty, AES256 (SSE-S3) or aws:kms (SSE-KMS), got " + sse);
            }
        }
        if (kmsKeyId != null && !"aws:kms".equals(sse)) {
            throw new IllegalArgumentException("s3.sse-kms-key-id (S3_SSE_KMS_KEY_ID) is set but s3.sse is not aws:kms");
        }
        if (partSizeBytes < MIN_PART_SIZE) {
            throw new IllegalArgumentException("s3.part-size-mb (S3_PART_SIZE_MB) must be at least 5: S3 rejects smaller parts");
        }
        if (singlePutMaxBytes < 0 || singlePutMaxBytes > MAX_SINGLE_PUT) {
            throw new IllegalArgumentException("s3.single-put-max-mb (S3_SINGLE_PUT_MAX_MB) must be between 0 and 5120:"
                    + " S3 takes at most 5 GiB in one PUT");
        }
        if (partsInFlight < 1) {
            throw new IllegalArgumentException("s3.parts-in-flight (S3_PARTS_IN_FLIGHT) must be at least 1");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** Omits the secret key. */
    @Override
    public String toString() {
        return "S3Settings[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket
                + ", accessKey=" + (accessKey == null ? "<default chain>" : accessKey) + ", forcePathStyle=" + forcePathStyle
                + ", sse=" + sse + ", kmsKeyId=" + kmsKeyId + ", partSizeBytes=" + partSizeBytes
                + ", partsInFlight=" + partsInFlight + ", singlePutMaxBytes=" + singlePutMaxBytes + "]";
    }
}

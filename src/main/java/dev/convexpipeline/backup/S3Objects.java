package dev.convexpipeline.backup;

import org.apache.camel.CamelContext;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.StartupSummaryLevel;
import org.apache.camel.component.aws2.s3.AWS2S3Constants;
import org.apache.camel.impl.DefaultCamelContext;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The small-object S3 work of a {@link S3Target} — list, get, put (manifests, markers, pins,
 * journals) and delete — through Camel's {@code aws2-s3} component, on the same {@link S3Client} the
 * streaming upload uses (bound once as {@code #amazonS3Client}). The component cannot stream a body
 * of unknown length without buffering it, so the snapshot ZIP and the multipart bookkeeping stay on
 * the SDK ({@link S3StreamingPut}, {@link S3MultipartUpload}, {@link S3Target#leftovers}).
 *
 * <p>It runs in a small Camel context of its own, so the CLI (no pipeline running) and the pipeline
 * use the same code; the context starts on first use.
 */
final class S3Objects implements AutoCloseable {

    private final S3Client s3;
    private final String bucket;
    private final String putOptions;
    /** Keys asked per ListObjects page (S3's maximum; tests use a small page to see the paging). */
    private int pageSize = 1000;
    private CamelContext camel;
    private ProducerTemplate template;

    /** {@code sse}/{@code kmsKeyId} as in {@link S3Settings}: requested on every object put. */
    S3Objects(S3Client s3, String bucket, String sse, String kmsKeyId) {
        this.s3 = s3;
        this.bucket = bucket;
        StringBuilder options = new StringBuilder();
        if ("AES256".equals(sse)) {
            options.append("&useSSES3=true");
        } else if ("aws:kms".equals(sse)) {
            options.append("&useAwsKMS=true");
            if (kmsKeyId != null) {
                options.append("&awsKMSKeyId=RAW(").append(kmsKeyId).append(')');
            }
        }
        this.putOptions = options.toString();
    }

    /** A failed S3 call: which one and the SDK's own error (status, error code), for {@link S3Target#failure}. */
    static final class Failure extends Exception {
        final SdkException cause;

        Failure(SdkException cause) {
            super(cause.getMessage(), cause, false, false);
            this.cause = cause;
        }
    }

    private synchronized ProducerTemplate template() {
        if (template == null) {
            DefaultCamelContext context = new DefaultCamelContext();
            context.getCamelContextExtension().setName("backup-s3");
            context.disableJMX();
            context.setStartupSummaryLevel(StartupSummaryLevel.Off);
            // The endpoints name the client (#amazonS3Client); nothing else is looked up.
            context.setAutowiredEnabled(false);
            context.getRegistry().bind("amazonS3Client", s3);
            context.start();
            camel = context;
            template = context.createProducerTemplate();
        }
        return template;
    }

    private String uri(String operation, String options) {
        return "aws2-s3://" + bucket + "?amazonS3Client=#amazonS3Client&autoCreateBucket=false&operation=" + operation + options;
    }

    S3Objects withPageSize(int keys) {
        this.pageSize = keys;
        return this;
    }

    /** Every object under {@code prefix}: pages of ListObjects until an empty page (servers cap pages differently). */
    List<S3Object> list(String prefix) throws Failure {
        List<S3Object> objects = new ArrayList<>();
        String after = null;
        while (true) {
            ListObjectsRequest page = ListObjectsRequest.builder().bucket(bucket).prefix(prefix).marker(after)
                    .maxKeys(pageSize).build();
            List<?> contents = call(uri("listObjects", "&pojoRequest=true"), page, Map.of(), List.class);
            if (contents == null || contents.isEmpty()) {
                return objects;
            }
            for (Object object : contents) {
                objects.add((S3Object) object);
            }
            after = objects.get(objects.size() - 1).key();
        }
    }

    /** Opens an object; the caller closes the stream. */
    InputStream get(String key) throws Failure {
        return call(uri("getObject", ""), null, Map.of(AWS2S3Constants.KEY, key), InputStream.class);
    }

    void put(String key, byte[] content, String contentType) throws Failure {
        // No operation named: the component's producer then puts the body.
        call("aws2-s3://" + bucket + "?amazonS3Client=#amazonS3Client&autoCreateBucket=false" + putOptions, content,
                Map.of(AWS2S3Constants.KEY, key, AWS2S3Constants.CONTENT_LENGTH, (long) content.length,
                        AWS2S3Constants.CONTENT_TYPE, contentType), Object.class);
    }

    void delete(String key) throws Failure {
        call(uri("deleteObject", ""), null, Map.of(AWS2S3Constants.KEY, key), Object.class);
    }

    private <T> T call(String uri, Object body, Map<String, Object> headers, Class<T> type) throws Failure {
        try {
            return template().requestBodyAndHeaders(uri, body, headers, type);
        } catch (RuntimeCamelException e) {
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof SdkException sdk) {
                    throw new Failure(sdk);
                }
            }
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (camel != null) {
            camel.stop();
            camel = null;
            template = null;
        }
    }
}
